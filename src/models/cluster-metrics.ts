import { createRng } from './split.js';

/**
 * Clustering an embedding and scoring the clusters against labels: k-means (k-means++ start, Lloyd
 * iterations, best of several seeded starts by inertia) and the adjusted Rand index and normalised mutual
 * information as scikit-learn defines them (`adjusted_rand_score`, `normalized_mutual_info_score` with the
 * arithmetic mean). Pure; checked against scikit-learn in a test.
 */

export interface KMeansOptions {
  k: number;
  seed: number;
  /** Seeded starts; the lowest inertia wins (scikit-learn's n_init). */
  starts?: number;
  maxIterations?: number;
}

/** Cluster index per row of the row-major [rows, cols] matrix `x`. */
export function kMeans(x: ArrayLike<number>, rows: number, cols: number, o: KMeansOptions): Int32Array {
  const k = Math.min(o.k, rows);
  let best: { labels: Int32Array; inertia: number } | null = null;
  for (let s = 0; s < (o.starts ?? 10); s++) {
    const run = lloyd(
      x,
      rows,
      cols,
      plusPlus(x, rows, cols, k, createRng(o.seed * 1000 + s)),
      o.maxIterations ?? 300,
    );
    if (!best || run.inertia < best.inertia) best = run;
  }
  return best!.labels;
}

function sqDist(x: ArrayLike<number>, r: number, c: Float64Array, ci: number, cols: number): number {
  let d = 0;
  for (let j = 0; j < cols; j++) d += (x[r * cols + j] - c[ci * cols + j]) ** 2;
  return d;
}

/** k-means++: each next centre drawn with probability proportional to the squared distance to the nearest. */
function plusPlus(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  k: number,
  rng: () => number,
): Float64Array {
  const centres = new Float64Array(k * cols);
  const take = (ci: number, r: number) => {
    for (let j = 0; j < cols; j++) centres[ci * cols + j] = x[r * cols + j];
  };
  take(0, Math.floor(rng() * rows));
  const nearest = Float64Array.from({ length: rows }, (_, r) => sqDist(x, r, centres, 0, cols));
  for (let ci = 1; ci < k; ci++) {
    const total = nearest.reduce((a, b) => a + b, 0);
    let pick = rows - 1;
    let u = rng() * total;
    for (let r = 0; r < rows; r++) {
      u -= nearest[r];
      if (u < 0) {
        pick = r;
        break;
      }
    }
    take(ci, pick);
    for (let r = 0; r < rows; r++) nearest[r] = Math.min(nearest[r], sqDist(x, r, centres, ci, cols));
  }
  return centres;
}

function lloyd(
  x: ArrayLike<number>,
  rows: number,
  cols: number,
  centres: Float64Array,
  maxIterations: number,
) {
  const k = centres.length / cols;
  const labels = new Int32Array(rows).fill(-1);
  let inertia = 0;
  for (let it = 0; it < maxIterations; it++) {
    let changed = false;
    inertia = 0;
    for (let r = 0; r < rows; r++) {
      let best = 0;
      let bestD = Infinity;
      for (let ci = 0; ci < k; ci++) {
        const d = sqDist(x, r, centres, ci, cols);
        if (d < bestD) [best, bestD] = [ci, d];
      }
      inertia += bestD;
      if (labels[r] !== best) [labels[r], changed] = [best, true];
    }
    if (!changed) break;
    const sums = new Float64Array(k * cols);
    const counts = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      counts[labels[r]]++;
      for (let j = 0; j < cols; j++) sums[labels[r] * cols + j] += x[r * cols + j];
    }
    // An emptied cluster keeps its centre (it may win rows back next iteration).
    for (let ci = 0; ci < k; ci++)
      if (counts[ci] > 0)
        for (let j = 0; j < cols; j++) centres[ci * cols + j] = sums[ci * cols + j] / counts[ci];
  }
  return { labels, inertia };
}

/** The contingency table of two labelings: joint counts by "a,b", and each labeling's counts. */
function contingency(a: ArrayLike<number>, b: ArrayLike<number>) {
  const joint = new Map<string, { a: number; b: number; count: number }>();
  for (let i = 0; i < a.length; i++) {
    const key = `${a[i]},${b[i]}`;
    const cell = joint.get(key) ?? { a: a[i], b: b[i], count: 0 };
    cell.count++;
    joint.set(key, cell);
  }
  return { joint: [...joint.values()], countsA: countBy(a), countsB: countBy(b), n: a.length };
}

function countBy(v: ArrayLike<number>): Map<number, number> {
  const out = new Map<number, number>();
  for (let i = 0; i < v.length; i++) out.set(v[i], (out.get(v[i]) ?? 0) + 1);
  return out;
}

const pairs = (v: number) => (v * (v - 1)) / 2;
const sumOf = (values: Iterable<number>, f: (v: number) => number) => {
  let s = 0;
  for (const v of values) s += f(v);
  return s;
};

/** Adjusted Rand index (Hubert & Arabie); 1 for identical partitions, about 0 for random ones. */
export function adjustedRandIndex(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  const t = contingency(truth, pred);
  const index = sumOf(
    t.joint.map((c) => c.count),
    pairs,
  );
  const sumA = sumOf(t.countsA.values(), pairs);
  const sumB = sumOf(t.countsB.values(), pairs);
  const expected = (sumA * sumB) / pairs(t.n);
  const max = (sumA + sumB) / 2;
  // scikit-learn: identical trivial partitions (one cluster each, or all singletons) score 1.
  return max === expected ? 1 : (index - expected) / (max - expected);
}

/** Normalised mutual information, MI / mean(H(truth), H(pred)) (scikit-learn's arithmetic default). */
export function normalizedMutualInfo(truth: ArrayLike<number>, pred: ArrayLike<number>): number {
  const t = contingency(truth, pred);
  const entropy = (counts: Map<number, number>) =>
    -sumOf(counts.values(), (c) => (c / t.n) * Math.log(c / t.n));
  const [ha, hb] = [entropy(t.countsA), entropy(t.countsB)];
  if (ha === 0 || hb === 0) return ha === hb ? 1 : 0; // scikit-learn: one cluster on a side
  let mi = 0;
  for (const c of t.joint)
    mi += (c.count / t.n) * Math.log((t.n * c.count) / (t.countsA.get(c.a)! * t.countsB.get(c.b)!));
  return mi / ((ha + hb) / 2);
}
