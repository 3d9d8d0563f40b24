import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadCsv, partitionSites, stratifiedSplit, type Dataset } from '../models/index.js';

/** The bundled TCGA set as the demo and the examples use it: `patient` keeps a patient's samples together. */
export const TCGA = {
  file: 'tcga11_metagsca_all.csv.gz',
  ignore: ['sample_type'],
  group: 'patient',
} as const;

export async function loadTcga(dataDir: string): Promise<Dataset> {
  return loadCsv(join(dataDir, TCGA.file), { ignore: [...TCGA.ignore], keep: [TCGA.group] });
}

/** Demo and test sites are named site-a, site-b, … in plan order. */
export function siteName(i: number): string {
  // site-a … site-z, then site-aa, site-ab, … (spreadsheet columns): valid config names at any swarm size
  let name = '';
  for (let k = i + 1; k > 0; k = Math.floor((k - 1) / 26))
    name = String.fromCharCode(97 + ((k - 1) % 26)) + name;
  return `site-${name}`;
}

export interface SitePlan {
  /** Held-out rows no site trains on: every result table scores on these. */
  test: number[];
  sites: number[][];
}

/** Held-out test split (by patient, stratified), then the rest dealt to `sites` sites. */
export function planSites(
  ds: Dataset,
  o: { sites: number; seed: number; mode: 'random' | 'dirichlet'; alpha?: number; testFraction?: number },
): SitePlan {
  const groups = ds.meta[TCGA.group];
  const split = stratifiedSplit(ds.labels, { testFraction: o.testFraction ?? 0.2, seed: o.seed, groups });
  const sites = partitionSites(ds.labels, split.train, {
    sites: o.sites,
    seed: o.seed + 1,
    groups,
    mode: o.mode,
    alpha: o.alpha,
  });
  return { test: split.test, sites };
}

/** Writes one sample-id file per site (`rowsFile` in a site config) and one for the held-out rows. */
export async function writeRowsFiles(
  ds: Dataset,
  plan: SitePlan,
  dir: string,
  names: string[],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const ids = (rows: number[]) => rows.map((r) => ds.ids[r]).join('\n') + '\n';
  await writeFile(join(dir, 'test.txt'), ids(plan.test));
  return Promise.all(
    plan.sites.map(async (rows, i) => {
      const path = join(dir, `${names[i]}.txt`);
      await writeFile(path, ids(rows));
      return path;
    }),
  );
}
