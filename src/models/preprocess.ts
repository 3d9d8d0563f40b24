import { z } from 'zod';
import { InputError, type NamedTensors } from '../core/index.js';
import type { Dataset } from './csv.js';
import { FeatureTransformSchema, transformFunction, type FeatureTransform } from './transform.js';

/**
 * Per-feature sufficient statistics. Sites exchange these (never rows) so the whole swarm standardises
 * with one transform; summing two sites' stats equals the stats of their union.
 */
export interface FeatureStats {
  count: Float64Array;
  sum: Float64Array;
  sumSq: Float64Array;
  missing: Float64Array;
}

/**
 * A named value transform, then mean imputation + z-scoring; what a checkpoint carries so inference repeats
 * the training transform.
 */
export interface Standardizer {
  transform: FeatureTransform;
  featureNames: string[];
  mean: Float32Array;
  std: Float32Array;
}

export function computeFeatureStats(
  features: Float32Array,
  rows: number,
  cols: number,
  rowIdx?: number[],
  transform: FeatureTransform = 'none',
): FeatureStats {
  const s = emptyStats(cols);
  const f = transformFunction(transform);
  const visit = (r: number) => {
    const base = r * cols;
    for (let j = 0; j < cols; j++) {
      const v = f(features[base + j]);
      if (Number.isNaN(v)) {
        s.missing[j]++;
      } else {
        s.count[j]++;
        s.sum[j] += v;
        s.sumSq[j] += v * v;
      }
    }
  };
  if (rowIdx) rowIdx.forEach(visit);
  else for (let r = 0; r < rows; r++) visit(r);
  return s;
}

export function mergeFeatureStats(a: FeatureStats, b: FeatureStats): FeatureStats {
  const add = (x: Float64Array, y: Float64Array) => x.map((v, i) => v + y[i]);
  return {
    count: add(a.count, b.count),
    sum: add(a.sum, b.sum),
    sumSq: add(a.sumSq, b.sumSq),
    missing: add(a.missing, b.missing),
  };
}

function emptyStats(cols: number): FeatureStats {
  return {
    count: new Float64Array(cols),
    sum: new Float64Array(cols),
    sumSq: new Float64Array(cols),
    missing: new Float64Array(cols),
  };
}

/** Population std; a constant or all-missing feature gets std 1 so it maps to 0 instead of NaN. */
export function standardizerFromStats(
  s: FeatureStats,
  featureNames: string[],
  transform: FeatureTransform = 'none',
): Standardizer {
  const cols = featureNames.length;
  const mean = new Float32Array(cols);
  const std = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    const n = s.count[j];
    const m = n > 0 ? s.sum[j] / n : 0;
    const variance = n > 0 ? Math.max(s.sumSq[j] / n - m * m, 0) : 0;
    mean[j] = m;
    std[j] = Math.sqrt(variance) > 1e-8 ? Math.sqrt(variance) : 1;
  }
  return { transform, featureNames, mean, std };
}

/** Standardised copy of the selected rows (all rows if omitted); missing values become the mean (0). */
export function applyStandardizer(
  s: Standardizer,
  features: Float32Array,
  rows: number,
  cols: number,
  rowIdx?: number[],
): Float32Array {
  const idx = rowIdx ?? Array.from({ length: rows }, (_, i) => i);
  const out = new Float32Array(idx.length * cols);
  const f = transformFunction(s.transform);
  idx.forEach((r, i) => {
    for (let j = 0; j < cols; j++) {
      const v = f(features[r * cols + j]);
      out[i * cols + j] = Number.isNaN(v) ? 0 : (v - s.mean[j]) / s.std[j];
    }
  });
  return out;
}

/**
 * Reorders a data set's columns into the order the model was trained on. Extra columns are dropped;
 * a missing training column is an error (imputing a whole column would silently degrade predictions).
 */
export function alignColumns(s: Standardizer, ds: Dataset): Float32Array {
  const where = new Map(ds.featureNames.map((n, i) => [n, i]));
  const missing = s.featureNames.filter((n) => !where.has(n));
  if (missing.length > 0) {
    throw new InputError(
      'CSV_MISSING_FEATURES',
      `the input lacks ${missing.length} feature column(s) the model was trained on (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`,
    );
  }
  const cols = s.featureNames.length;
  const src = s.featureNames.map((n) => where.get(n)!);
  const out = new Float32Array(ds.rows * cols);
  for (let r = 0; r < ds.rows; r++) {
    for (let j = 0; j < cols; j++) out[r * cols + j] = ds.features[r * ds.cols + src[j]];
  }
  return out;
}

const StandardizerJSON = z.object({
  // Checkpoints written before transforms existed carry none.
  transform: FeatureTransformSchema.default('none'),
  featureNames: z.array(z.string()),
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
});

export function standardizerToJSON(s: Standardizer): z.infer<typeof StandardizerJSON> {
  return {
    transform: s.transform,
    featureNames: s.featureNames,
    mean: Array.from(s.mean),
    std: Array.from(s.std),
  };
}

export function standardizerFromJSON(value: unknown): Standardizer {
  const res = StandardizerJSON.safeParse(value);
  const n = res.success ? res.data.featureNames.length : -1;
  if (!res.success || res.data.mean.length !== n || res.data.std.length !== n) {
    throw new InputError(
      'PREPROCESSING_CORRUPT',
      "the checkpoint's preprocessing section is invalid: re-export the checkpoint",
    );
  }
  return {
    transform: res.data.transform,
    featureNames: res.data.featureNames,
    mean: Float32Array.from(res.data.mean),
    std: Float32Array.from(res.data.std),
  };
}

/** Stats as named tensors so the swarm can merge them with its ordinary (sum) commit. */
export function statsToTensors(s: FeatureStats): NamedTensors {
  const t = (a: Float64Array) => ({ shape: [a.length], data: Float32Array.from(a) });
  return new Map([
    ['stats/count', t(s.count)],
    ['stats/sum', t(s.sum)],
    ['stats/sum_sq', t(s.sumSq)],
    ['stats/missing', t(s.missing)],
  ]);
}

export function statsFromTensors(t: NamedTensors): FeatureStats {
  const get = (name: string) => {
    const v = t.get(name);
    if (!v) throw new InputError('STATS_CORRUPT', `feature statistics lack ${name}`);
    return Float64Array.from(v.data);
  };
  return {
    count: get('stats/count'),
    sum: get('stats/sum'),
    sumSq: get('stats/sum_sq'),
    missing: get('stats/missing'),
  };
}
