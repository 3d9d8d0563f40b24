import { z } from 'zod';
import { InputError } from '../core/index.js';
import type { Dataset } from './csv.js';

/**
 * Named per-value transforms applied before standardisation. A checkpoint records the name, so inference
 * and every site of a swarm repeat exactly the transform the model was trained under.
 */
export const FEATURE_TRANSFORMS = ['none', 'log1p'] as const;
export const FeatureTransformSchema = z.enum(FEATURE_TRANSFORMS);
export type FeatureTransform = z.infer<typeof FeatureTransformSchema>;

const FUNCTIONS: Record<FeatureTransform, (v: number) => number> = {
  none: (v) => v,
  // Counts (UMI, spectral counts): log(1 + x) compresses the long tail; a negative value has no meaning here.
  log1p: (v) => (v < 0 ? NaN : Math.log1p(v)),
};

export function transformFunction(t: FeatureTransform): (v: number) => number {
  return FUNCTIONS[t];
}

export function parseFeatureTransform(value: string, where: string): FeatureTransform {
  const res = FeatureTransformSchema.safeParse(value);
  if (res.success) return res.data;
  throw new InputError(
    'TRANSFORM_UNKNOWN',
    `${where}: unknown transform '${value}' (choose one of ${FEATURE_TRANSFORMS.join(', ')})`,
  );
}

/** log1p is for non-negative data (counts); refuses a column with negative values instead of hiding them. */
export function assertTransformable(ds: Dataset, t: FeatureTransform, source: string): void {
  if (t !== 'log1p') return;
  for (let j = 0; j < ds.cols; j++) {
    for (let r = 0; r < ds.rows; r++) {
      if (ds.features[r * ds.cols + j] < 0) {
        throw new InputError(
          'TRANSFORM_NEGATIVE',
          `${source}: column '${ds.featureNames[j]}' has a negative value (row ${r + 1}); log1p is for ` +
            `counts: use transform none for data that is already on a log scale`,
        );
      }
    }
  }
}

/**
 * Whether the values look like counts (UMI, spectral or read counts): every one a non-negative whole number
 * and the largest above 100, so neither a log scale nor small integer codes. Counts are skewed: one cell with
 * a thousand reads of a gene dominates its column after standardisation unless log1p compresses the tail.
 * Returns the largest value, or null when the data does not look like counts.
 */
export function countLikeMax(ds: Dataset): number | null {
  let max = 0;
  for (const v of ds.features) {
    if (Number.isNaN(v)) continue;
    if (v < 0 || !Number.isInteger(v)) return null;
    if (v > max) max = v;
  }
  return max > 100 ? max : null;
}

/** The suggestion `swarmd train` and the daemon print for count-like data left untransformed. */
export function describeCountLike(max: number): string {
  return `every feature value is a non-negative whole number (up to ${max}): if these are counts, log1p usually helps`;
}
