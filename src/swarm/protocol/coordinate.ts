import { sortedNames, type NamedTensors } from '../../core/index.js';
import { MergeError, checkContributions, type Contribution } from './contributions.js';

/*
 * Coordinate-wise order-statistic merges (median, trimmed mean): per coordinate, the n values are sorted
 * (total order: −0 before +0), the k smallest and k largest dropped, the rest summed in float64 in ascending
 * order and divided by n − 2k, then rounded to float32 once. Sample counts do not weigh them: a site that
 * inflates its count gains nothing. The median is the trimmed mean with k = ⌊(n − 1) / 2⌋ (for even n the
 * mean of the two middle values).
 */

/** Coordinate-wise median of the contributions (unweighted). */
export function coordinateMedian(contributions: readonly Contribution[]): NamedTensors {
  const sorted = checkContributions(contributions);
  return trimmedMeanOf(sorted, Math.floor((sorted.length - 1) / 2));
}

/**
 * Coordinate-wise trimmed mean (unweighted). `trim` is a count of values dropped at each end (an integer ≥ 0)
 * or a fraction of the contributors in (0, 0.5) (k = ⌊trim · n⌋); it needs n > 2k.
 */
export function trimmedMean(contributions: readonly Contribution[], trim: number): NamedTensors {
  const sorted = checkContributions(contributions);
  return trimmedMeanOf(sorted, trimCount(trim, sorted.length));
}

/** Values dropped at each end for `trim` (count or fraction, see trimmedMean) among n contributors. */
export function trimCount(trim: number, n: number): number {
  const isCount = Number.isInteger(trim) && trim >= 0;
  if (!isCount && !(trim > 0 && trim < 0.5)) {
    throw new MergeError(
      'MERGE_CONFIG',
      `trim ${trim} is neither a count (integer ≥ 0) nor a fraction in (0, 0.5); fix merge.trim in the swarm config`,
    );
  }
  const k = isCount ? trim : Math.floor(trim * n);
  if (n <= 2 * k) {
    throw new MergeError(
      'MERGE_CONFIG',
      `trimmed mean drops ${k} values at each end but has only ${n} contributors; it needs more than ${2 * k} (lower trim or raise minPeers)`,
    );
  }
  return k;
}

function trimmedMeanOf(sorted: readonly Contribution[], k: number): NamedTensors {
  const n = sorted.length;
  const kept = n - 2 * k;
  const values = new Float64Array(n);
  const out: NamedTensors = new Map();
  for (const name of sortedNames(sorted[0].tensors)) {
    const inputs = sorted.map((c) => c.tensors.get(name)!.data);
    const merged = new Float32Array(inputs[0].length);
    for (let j = 0; j < merged.length; j++) {
      for (let i = 0; i < n; i++) values[i] = inputs[i][j];
      insertionSort(values);
      let acc = 0;
      for (let i = k; i < n - k; i++) acc += values[i];
      merged[j] = acc / kept; // the one rounding to float32
    }
    out.set(name, { shape: [...sorted[0].tensors.get(name)!.shape], data: merged });
  }
  return out;
}

/** Ascending, −0 before +0 (so the result never depends on input order); n is small (the contributors). */
function insertionSort(v: Float64Array): void {
  for (let i = 1; i < v.length; i++) {
    const x = v[i];
    let j = i - 1;
    while (j >= 0 && less(x, v[j])) {
      v[j + 1] = v[j];
      j--;
    }
    v[j + 1] = x;
  }
}

function less(a: number, b: number): boolean {
  return a < b || (a === 0 && b === 0 && 1 / a < 1 / b);
}
