import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelKeyFromBytes } from '../../src/inr/index.js';
import { loadTcga, planSites, siteName, writeSwarmDir, type LaunchedSite } from '../../src/node/index.js';

/** The TCGA cohorts in label-index order (the swarm config takes them from the data set). */
export const CLASSES = [
  'BRCA',
  'COAD',
  'HNSC',
  'KIRC',
  'KIRP',
  'LIHC',
  'LUAD',
  'LUSC',
  'PRAD',
  'STAD',
  'THCA',
];

export interface SwarmSetup {
  dir: string;
  names: string[];
  configs: string[];
  test: number[];
  ds: Awaited<ReturnType<typeof loadTcga>>;
}

/**
 * A fresh swarm in a temp dir, shaped like configs/: key file, PSK, swarm.yaml with every site's real
 * peer id (from `initSite`), one site config per site (ports from 0) on a patient-wise share of TCGA.
 */
export async function createSwarmSetup(o: {
  sites: number;
  swarm: Record<string, unknown>;
  training: Record<string, unknown>;
  /** More site config fields (e.g. keepCheckpoints), the same for every site. */
  site?: Record<string, unknown>;
}): Promise<SwarmSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-it-'));
  const ds = await loadTcga('data');
  const plan = planSites(ds, { sites: o.sites, seed: 42, mode: 'random' });
  const names = plan.sites.map((_, i) => siteName(i));
  // A fixed key: the INR's Δ depends on it, so a random key would make accuracies vary from run to run.
  const key = modelKeyFromBytes(createHash('sha256').update('swarmd integration test key').digest());
  const configs = await writeSwarmDir(dir, ds, plan, names, {
    dataDir: join(process.cwd(), 'data'),
    key,
    swarm: { swarmId: 'it-swarm', model: { seed: 42 }, ...o.swarm },
    site: () => ({ training: o.training, log: { level: 'info', pretty: false }, ...o.site }),
  });
  return { dir, names, configs, test: plan.test, ds };
}

/** Awaits `p`; if it fails, prints the tail of every daemon's log first — the assertion alone says nothing about why. */
export async function explainFailure<T>(
  sites: Map<string, LaunchedSite>,
  p: Promise<T>,
  tailChars = 3000,
): Promise<T> {
  try {
    return await p;
  } catch (err) {
    for (const [name, s] of sites) console.error(`--- ${name} log (tail)\n${s.output().slice(-tailChars)}`);
    throw err;
  }
}
