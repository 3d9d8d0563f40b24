import { sortedNames, type NamedTensors } from '../../core/index.js';
import { MergeError, checkContributions, checkSameLayout, type Contribution } from './contributions.js';
import { coordinateMedian, trimmedMean } from './coordinate.js';
import { deltaNorm } from './delta.js';
import type { MergeMethod } from './methods.js';

export { MergeError, type Contribution } from './contributions.js';
export { MERGE_METHODS, MODEL_MERGE_METHODS, type MergeMethod } from './methods.js';

/*
 * Deterministic merges: every peer must reach byte-identical weights, so contributions are taken in
 * peer-ID order, accumulated in float64 starting from +0, and rounded to float32 once at the end.
 * Loops run over typed arrays with one float64 scratch buffer, sized to the largest tensor.
 */

export interface MergeOptions {
  /** The last merged model; clipped-fedavg clips each update's distance from it. */
  reference?: NamedTensors | null;
  /** trimmed-mean: values dropped at each end, a count (integer ≥ 0) or a fraction in (0, 0.5). */
  trim?: number;
  /** clipped-fedavg: the largest L2 norm of (update − reference) that counts in full. */
  clipNorm?: number;
}

/** The one entry: merges by `method`, throwing MergeError (code MERGE_CONFIG) when its parameter is missing. */
export function mergeByMethod(
  method: MergeMethod,
  contributions: readonly Contribution[],
  options: MergeOptions = {},
): NamedTensors {
  switch (method) {
    case 'fedavg':
      return fedAvg(contributions);
    case 'sum':
      return sumTensors(contributions);
    case 'median':
      return coordinateMedian(contributions);
    case 'trimmed-mean':
      return trimmedMean(contributions, required(options.trim, 'trim (swarm config key trim)', method));
    case 'clipped-fedavg':
      return clippedFedAvg(
        contributions,
        required(options.reference ?? undefined, 'reference (the last merged model)', method),
        required(options.clipNorm, 'clipNorm (swarm config key clipNorm)', method),
      );
  }
}

function required<T>(value: T | undefined, what: string, method: MergeMethod): T {
  if (value === undefined) throw new MergeError('MERGE_CONFIG', `merge ${method} needs ${what}`);
  return value;
}

/** Sample-weighted average: Σ (samples_i / Σ samples) · x_i. */
export function fedAvg(contributions: readonly Contribution[]): NamedTensors {
  const sorted = checkContributions(contributions);
  const total = sorted.reduce((s, c) => s + c.samples, 0);
  return accumulate(
    sorted,
    sorted.map((c) => c.samples / total),
    null,
  );
}

/** Plain float64 sum, for feature statistics (count, sum, sumsq, missing) where weights make no sense. */
export function sumTensors(contributions: readonly Contribution[]): NamedTensors {
  const sorted = checkContributions(contributions);
  return accumulate(
    sorted,
    sorted.map(() => 1), // 1 · x is exactly x
    null,
  );
}

/**
 * FedAvg of clipped deltas: reference + Σ (samples_i / Σ samples) · s_i · (x_i − reference), where
 * s_i = min(1, clipNorm / ‖x_i − reference‖₂) (the norm as deltaNorm computes it). An update far from the
 * reference moves the merge by at most its weight times clipNorm.
 */
export function clippedFedAvg(
  contributions: readonly Contribution[],
  reference: NamedTensors,
  clipNorm: number,
): NamedTensors {
  if (!(clipNorm > 0 && Number.isFinite(clipNorm))) {
    throw new MergeError('MERGE_CONFIG', `clipNorm ${clipNorm} must be a positive finite number`);
  }
  const sorted = checkContributions(contributions);
  checkSameLayout(sorted[0].tensors, reference, 'the reference model');
  const total = sorted.reduce((s, c) => s + c.samples, 0);
  const weights = sorted.map((c) => {
    const norm = deltaNorm(c.tensors, reference);
    return (c.samples / total) * (norm > clipNorm ? clipNorm / norm : 1);
  });
  return accumulate(sorted, weights, reference);
}

/** Elements per pass: the float64 accumulator block (256 KiB) stays in cache while every contributor adds in. */
const BLOCK = 32 * 1024;

/**
 * out[name] = f32( Σ_i weight_i · x_i[name] ), or with a base f32( base + Σ_i weight_i · (x_i − base) ),
 * the sum taken in float64 in contributor order.
 */
function accumulate(
  sorted: readonly Contribution[],
  weights: readonly number[],
  base: NamedTensors | null,
): NamedTensors {
  const layout = sorted[0].tensors;
  const acc = new Float64Array(BLOCK);
  const out: NamedTensors = new Map();
  for (const name of sortedNames(layout)) {
    const inputs = sorted.map((c) => c.tensors.get(name)!.data);
    const b = base?.get(name)!.data;
    const merged = new Float32Array(inputs[0].length);
    for (let start = 0; start < merged.length; start += BLOCK) {
      const len = Math.min(BLOCK, merged.length - start);
      acc.fill(0, 0, len);
      if (b === undefined) {
        for (let i = 0; i < inputs.length; i++) addScaledInto(acc, inputs[i], start, len, weights[i]);
        for (let j = 0; j < len; j++) merged[start + j] = acc[j]; // the one rounding to float32
      } else {
        for (let i = 0; i < inputs.length; i++) addScaledDeltaInto(acc, inputs[i], b, start, len, weights[i]);
        for (let j = 0; j < len; j++) merged[start + j] = b[start + j] + acc[j];
      }
    }
    out.set(name, { shape: [...layout.get(name)!.shape], data: merged });
  }
  return out;
}

function addScaledInto(acc: Float64Array, x: Float32Array, start: number, len: number, w: number): void {
  for (let j = 0; j < len; j++) acc[j] += w * x[start + j];
}

function addScaledDeltaInto(
  acc: Float64Array,
  x: Float32Array,
  base: Float32Array,
  start: number,
  len: number,
  w: number,
): void {
  for (let j = 0; j < len; j++) acc[j] += w * (x[start + j] - base[start + j]);
}
