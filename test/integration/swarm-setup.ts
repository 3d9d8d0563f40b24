import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createHash } from 'node:crypto';
import { modelKeyFromBytes, writeKeyFile } from '../../src/inr/index.js';
import { addMember, initSite, loadTcga, planSites, writeRowsFiles } from '../../src/node/index.js';
import { createSwarmPsk, writePskFile } from '../../src/swarm/index.js';

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
}): Promise<SwarmSetup> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-it-'));
  const ds = await loadTcga('data');
  const plan = planSites(ds, { sites: o.sites, seed: 42, mode: 'random' });
  const names = plan.sites.map((_, i) => `site-${String.fromCharCode(97 + i)}`);
  const rows = await writeRowsFiles(ds, plan, join(dir, 'rows'), names);
  // A fixed key: the INR's Δ depends on it, so a random key would make accuracies vary from run to run.
  const key = modelKeyFromBytes(createHash('sha256').update('swarmd integration test key').digest());
  await writeKeyFile(join(dir, 'site.key'), key);
  await writePskFile(join(dir, 'swarm.psk'), createSwarmPsk());
  const swarmPath = join(dir, 'swarm.yaml');
  await writeFile(
    swarmPath,
    stringify({
      swarmId: 'it-swarm',
      pskFile: 'swarm.psk',
      members: [],
      model: { arch: 'proteomics', classNames: CLASSES, seed: 42 },
      ...o.swarm,
    }),
  );
  const configs: string[] = [];
  for (const [i, name] of names.entries()) {
    const path = join(dir, `${name}.yaml`);
    await writeFile(
      path,
      stringify({
        site: name,
        dataDir: join(dir, 'db', name),
        keyFile: 'site.key',
        swarmConfig: 'swarm.yaml',
        data: {
          path: join(process.cwd(), 'data/tcga11_metagsca_all.csv.gz'),
          ignore: ['sample_type'],
          group: 'patient',
          rowsFile: rows[i],
        },
        listen: ['/ip4/127.0.0.1/tcp/0'],
        http: { port: 0 },
        training: o.training,
        log: { level: 'info', pretty: false },
      }),
    );
    const r = await initSite({ configPath: path });
    await addMember(swarmPath, name, r.peerId);
    configs.push(path);
  }
  return { dir, names, configs, test: plan.test, ds };
}
