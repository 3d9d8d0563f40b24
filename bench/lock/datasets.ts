// The four bundled data sets as the lock study uses them: how to load each, and its splits.
import { join } from 'node:path';
import {
  createRng,
  loadCsv,
  prepareData,
  type Dataset,
  type FeatureTransform,
  type PreparedData,
} from '../../src/models/index.js';

export interface StudySet {
  name: string;
  file: string;
  ignore?: string[];
  group?: string;
  transform: FeatureTransform;
  /** Held-out share: Khan is tiny, so it gets more to leave the attacker samples and something to score. */
  testFraction: number;
  /** Keep at most this many rows (stratified at random), to bound the table's run time. */
  maxRows?: number;
  /** Training budget where the table's default does not fit: Khan's 32 training rows are one batch an epoch. */
  epochs?: number;
  patience?: number | null;
}

export const STUDY_SETS: StudySet[] = [
  {
    name: 'TCGA',
    file: 'tcga11_metagsca_all.csv.gz',
    ignore: ['sample_type'],
    group: 'patient',
    transform: 'none',
    testFraction: 0.2,
  },
  {
    name: 'PBMC',
    file: 'pbmc_sorted_zheng2017_counts.csv.gz',
    transform: 'log1p',
    testFraction: 0.2,
    maxRows: 600,
  },
  {
    name: 'Khan',
    file: 'datamicroarray_khan.csv.gz',
    transform: 'none',
    testFraction: 0.4,
    epochs: 150,
    patience: null, // 6 validation rows: too few to pick an epoch by
  },
  { name: 'WDBC', file: 'sklearn_breast_cancer_wdbc.csv.gz', transform: 'none', testFraction: 0.2 },
];

export interface LoadedSet {
  spec: StudySet;
  ds: Dataset;
  data: PreparedData;
}

export async function loadStudySet(spec: StudySet, dataDir: string, seed: number): Promise<LoadedSet> {
  const keep = spec.group ? [spec.group] : [];
  let ds = await loadCsv(join(dataDir, spec.file), { ignore: spec.ignore ?? [], keep });
  if (spec.maxRows && ds.rows > spec.maxRows) ds = subsample(ds, spec.maxRows, seed);
  const data = prepareData(
    ds,
    { testFraction: spec.testFraction, valFraction: 0.15, seed, groupColumn: spec.group },
    spec.transform,
  );
  return { spec, ds, data };
}

/** The same share of every class, chosen at random (seeded): a smaller copy of `ds` with `rows` rows. */
function subsample(ds: Dataset, rows: number, seed: number): Dataset {
  const rng = createRng(seed ^ 0x5eed);
  const keep = Array.from({ length: ds.rows }, (_, i) => i)
    .map((i) => ({ i, r: rng() }))
    .filter(({ r }) => r < rows / ds.rows)
    .map(({ i }) => i);
  const features = new Float32Array(keep.length * ds.cols);
  keep.forEach((r, j) => features.set(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols), j * ds.cols));
  const meta = Object.fromEntries(Object.entries(ds.meta).map(([k, v]) => [k, keep.map((r) => v[r])]));
  return {
    ...ds,
    rows: keep.length,
    features,
    labels: Int32Array.from(keep, (r) => ds.labels[r]),
    ids: keep.map((r) => ds.ids[r]),
    meta,
  };
}
