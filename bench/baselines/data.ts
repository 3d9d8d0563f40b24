import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  labeledRows,
  loadCsv,
  prepareData,
  stratifiedSplit,
  type CsvOptions,
  type Dataset,
  type FeatureTransform,
  type LabeledData,
  type PreparedData,
} from '../../src/models/index.js';

/** A bundled data set as the baseline table loads it (data/README.md says which columns are what). */
export interface BenchSet {
  name: string;
  file: string;
  csv: CsvOptions;
  transform: FeatureTransform;
  /** Rows sharing this column stay on one side of every split and on one site (TCGA: a patient). */
  group?: string;
  /** Stratified subsample (fixed seed) to keep the table's run time bounded; undefined: every row. */
  maxRows?: number;
}

export const BENCH_SETS: readonly BenchSet[] = [
  {
    name: 'TCGA-11',
    file: 'tcga11_metagsca_all.csv.gz',
    csv: { ignore: ['sample_type'], keep: ['patient'] },
    transform: 'none',
    group: 'patient',
  },
  // UMI counts: swarmd's named count transform (log1p) before standardisation, for every model alike.
  { name: 'PBMC', file: 'pbmc_sorted_zheng2017_counts.csv.gz', csv: {}, transform: 'log1p', maxRows: 700 },
  { name: 'Khan', file: 'datamicroarray_khan.csv.gz', csv: {}, transform: 'none' },
  { name: 'WDBC', file: 'sklearn_breast_cancer_wdbc.csv.gz', csv: {}, transform: 'none' },
];

/** The test and validation shares every column of the table uses (the demo's and lock table's split). */
export const TEST_FRACTION = 0.2;
export const VAL_FRACTION = 0.15;

/** The folder holding package.json, from this file in bench/ or in dist/bench/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

export async function loadBenchSet(set: BenchSet, dataDir = join(repoRoot(), 'data')): Promise<Dataset> {
  const ds = await loadCsv(join(dataDir, set.file), set.csv);
  if (set.maxRows === undefined || ds.rows <= set.maxRows) return ds;
  const keep = stratifiedSplit(ds.labels, { testFraction: set.maxRows / ds.rows, seed: 2017 }).test;
  return subsetRows(ds, keep);
}

function subsetRows(ds: Dataset, rows: number[]): Dataset {
  const features = new Float32Array(rows.length * ds.cols);
  rows.forEach((r, i) => features.set(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols), i * ds.cols));
  const meta = Object.fromEntries(Object.entries(ds.meta).map(([k, v]) => [k, rows.map((r) => v[r])]));
  return {
    ...ds,
    features,
    rows: rows.length,
    labels: Int32Array.from(rows, (r) => ds.labels[r]),
    ids: rows.map((r) => ds.ids[r]),
    meta,
    outOfRange: [],
  };
}

/** One seed's split: swarmd's own (test, then validation carved from the rest) and the baselines' view. */
export interface BenchSplit {
  prepared: PreparedData;
  /** What LR and the MLP train on: every non-test row (swarmd's training and validation rows). */
  baselineTrain: LabeledData;
}

/**
 * `swarmd train --test-fraction 0.2 --val-fraction 0.15 --seed s [--group patient]`'s split; the baselines
 * train on all rows outside the test split (they need no validation rows), standardised with the same
 * training-row statistics, so every column is scored on the same held-out rows.
 */
export function benchSplit(ds: Dataset, set: BenchSet, seed: number): BenchSplit {
  const prepared = prepareData(
    ds,
    { testFraction: TEST_FRACTION, valFraction: VAL_FRACTION, seed, groupColumn: set.group },
    set.transform,
  );
  const rows = [...prepared.indices.train, ...prepared.indices.val];
  return { prepared, baselineTrain: labeledRows(ds, prepared.standardizer, rows) };
}

/**
 * For choosing defaults: seed `seed`'s non-test rows only, as a data set of their own, so a sweep splits,
 * trains and scores within them and never sees the held-out rows the table reports on.
 */
export function withoutTestRows(ds: Dataset, set: BenchSet, seed: number): Dataset {
  const { prepared } = benchSplit(ds, set, seed);
  return subsetRows(
    ds,
    [...prepared.indices.train, ...prepared.indices.val].sort((a, b) => a - b),
  );
}
