import { createCipheriv, hkdfSync } from 'node:crypto';
import { compareIds } from '../ids.js';
import { SecAggError } from './errors.js';
import { littleEndian } from './fixed.js';

/*
 * Threshold rule. n = holders of each secret (every contributor, or in SecAgg+ mode a contributor and its
 * k neighbours). Tolerated dropouts d = ⌊fraction · n⌋, threshold t = n − d. Refused: n < 3 (with two
 * contributors the sum minus one's own update is the other's); d = 0 (one dropout would stall every round);
 * t < ⌊n/2⌋ + 1 (then two disjoint groups of survivors could each reconstruct, and a minority of colluders
 * could hold t shares). So at most ⌈n/2⌉ − 1 dropouts are tolerated, and up to t − 1 colluders learn nothing.
 */
export interface ThresholdChoice {
  threshold: number;
  toleratedDropouts: number;
}

export function chooseThreshold(n: number, toleratedDropoutFraction: number): ThresholdChoice {
  if (!Number.isInteger(n) || n < 3) {
    throw new SecAggError(
      'SECAGG_THRESHOLD',
      `secure aggregation needs at least 3 contributors per secret, got ${n}: with 2, each learns the other's ` +
        'update from the sum; use aggregation: plain or add members',
    );
  }
  if (!(toleratedDropoutFraction >= 0 && toleratedDropoutFraction < 1)) {
    throw new SecAggError('SECAGG_THRESHOLD', 'the tolerated dropout fraction must be in [0, 1)');
  }
  const toleratedDropouts = Math.floor(toleratedDropoutFraction * n);
  const threshold = n - toleratedDropouts;
  const majority = Math.floor(n / 2) + 1;
  if (toleratedDropouts < 1) {
    throw new SecAggError(
      'SECAGG_THRESHOLD',
      `a dropout fraction of ${toleratedDropoutFraction} tolerates no dropout among ${n}; raise it to at ` +
        `least ${(1 / n).toFixed(3)}`,
    );
  }
  if (threshold < majority) {
    throw new SecAggError(
      'SECAGG_THRESHOLD',
      `tolerating ${toleratedDropouts} of ${n} dropouts would put the threshold below a majority ` +
        `(${majority}); tolerate at most ${n - majority}`,
    );
  }
  return { threshold, toleratedDropouts };
}

/** SecAgg+ degree: k = 2⌈log2 n⌉ + 2 (even, O(log n)), or n − 1 (everyone) for small swarms. */
export function chooseGraphDegree(n: number): number {
  return Math.min(n - 1, 2 * Math.ceil(Math.log2(Math.max(n, 2))) + 2);
}

/**
 * Who masks with whom: a symmetric k-regular graph (Harary ring: each peer linked to the k/2 nearest on
 * each side of a ring whose order is a permutation drawn from `seed`, e.g. the previous commit hash), or the
 * complete graph when degree ≥ n − 1. Deterministic: every peer computes the same graph.
 */
export function maskGraph(ids: readonly string[], degree: number, seed: Uint8Array): Map<string, string[]> {
  const sorted = [...ids].sort(compareIds);
  const n = sorted.length;
  const graph = new Map<string, string[]>();
  if (degree >= n - 1) {
    for (const id of sorted)
      graph.set(
        id,
        sorted.filter((o) => o !== id),
      );
    return graph;
  }
  if (!Number.isInteger(degree) || degree < 2) {
    throw new SecAggError('SECAGG_PARAMS', `mask graph degree ${degree} must be an integer ≥ 2`);
  }
  const half = Math.ceil(degree / 2);
  const ring = shuffle(sorted, seed);
  for (let i = 0; i < n; i++) {
    const links = new Set<string>();
    for (let d = 1; d <= half; d++) links.add(ring[(i + d) % n]).add(ring[(i - d + n) % n]);
    graph.set(ring[i], [...links].sort(compareIds));
  }
  return graph;
}

/** Fisher–Yates driven by AES-256-CTR under HKDF(seed), with rejection sampling (no modulo bias). */
function shuffle(items: readonly string[], seed: Uint8Array): string[] {
  const key = hkdfSync('sha256', seed, 'swarmd-secagg-v1', 'swarmd-secagg-graph-v1', 32);
  const cipher = createCipheriv('aes-256-ctr', new Uint8Array(key), new Uint8Array(16));
  const nextWord = (): number => {
    const bytes = littleEndian(new Uint8Array(cipher.update(new Uint8Array(4))));
    return new Uint32Array(bytes.buffer)[0];
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const bound = i + 1;
    const limit = Math.floor(2 ** 32 / bound) * bound;
    let w = nextWord();
    while (w >= limit) w = nextWord();
    const j = w % bound;
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Holders of one site's secrets among n contributors: itself and its graph neighbours. */
export function shareHolders(n: number, graphDegree: number | 'auto' | 'all'): number {
  if (graphDegree === 'all') return n;
  const k = graphDegree === 'auto' ? chooseGraphDegree(n) : graphDegree;
  return Math.min(n - 1, k) + 1;
}
