import { SwarmdError, sortedNames, tensorSize, type NamedTensors, type Tensor } from '../../core/index.js';
import { compareIds } from './commit.js';

/*
 * Deterministic merges: every peer must reach byte-identical weights, so contributions are taken in
 * peer-ID order, accumulated in float64 starting from +0, and rounded to float32 once at the end.
 * Loops run over typed arrays with one float64 scratch buffer, sized to the largest tensor.
 */
export type MergeMethod = 'fedavg' | 'sum';

export interface Contribution {
  peerId: string;
  samples: number;
  tensors: NamedTensors;
}

/** Codes: MERGE_EMPTY, MERGE_BAD_SAMPLES, MERGE_DUPLICATE_PEER, MERGE_NAMES_MISMATCH, MERGE_SHAPE_MISMATCH. */
export class MergeError extends SwarmdError {}

/** Sample-weighted average: Σ (samples_i / Σ samples) · x_i. */
export function fedAvg(contributions: readonly Contribution[]): NamedTensors {
  const sorted = checkContributions(contributions);
  const total = sorted.reduce((s, c) => s + c.samples, 0);
  return accumulate(
    sorted,
    sorted.map((c) => c.samples / total),
  );
}

/** Plain float64 sum, for feature statistics (count, sum, sumsq, missing) where weights make no sense. */
export function sumTensors(contributions: readonly Contribution[]): NamedTensors {
  const sorted = checkContributions(contributions);
  return accumulate(
    sorted,
    sorted.map(() => 1), // 1 · x is exactly x
  );
}

export function mergeByMethod(method: MergeMethod, contributions: readonly Contribution[]): NamedTensors {
  return method === 'fedavg' ? fedAvg(contributions) : sumTensors(contributions);
}

/** Elements per pass: the float64 accumulator block (256 KiB) stays in cache while every contributor adds in. */
const BLOCK = 32 * 1024;

/** out[name] = f32( Σ_i weight_i · x_i[name] ), the sum taken in float64 in contributor order. */
function accumulate(sorted: readonly Contribution[], weights: readonly number[]): NamedTensors {
  const reference = sorted[0].tensors;
  const acc = new Float64Array(BLOCK);
  const out: NamedTensors = new Map();
  for (const name of sortedNames(reference)) {
    const inputs = sorted.map((c) => c.tensors.get(name)!.data);
    const merged = new Float32Array(inputs[0].length);
    for (let start = 0; start < merged.length; start += BLOCK) {
      const len = Math.min(BLOCK, merged.length - start);
      acc.fill(0, 0, len);
      for (let i = 0; i < inputs.length; i++) addScaledInto(acc, inputs[i], start, len, weights[i]);
      for (let j = 0; j < len; j++) merged[start + j] = acc[j]; // the one rounding to float32
    }
    out.set(name, { shape: [...reference.get(name)!.shape], data: merged });
  }
  return out;
}

function addScaledInto(acc: Float64Array, x: Float32Array, start: number, len: number, w: number): void {
  for (let j = 0; j < len; j++) acc[j] += w * x[start + j];
}

/** Validates and returns the contributions sorted by peer ID. */
function checkContributions(contributions: readonly Contribution[]): Contribution[] {
  if (contributions.length === 0) throw new MergeError('MERGE_EMPTY', 'nothing to merge: no contributions');
  const sorted = [...contributions].sort((a, b) => compareIds(a.peerId, b.peerId));
  const reference = sorted[0];
  for (let i = 0; i < sorted.length; i++) {
    const c = sorted[i];
    if (!Number.isSafeInteger(c.samples) || c.samples <= 0) {
      throw new MergeError(
        'MERGE_BAD_SAMPLES',
        `peer ${c.peerId} reports ${c.samples} samples; need a positive integer`,
      );
    }
    if (i > 0 && c.peerId === sorted[i - 1].peerId) {
      throw new MergeError('MERGE_DUPLICATE_PEER', `peer ${c.peerId} contributes twice`);
    }
    checkSameLayout(reference, c);
  }
  return sorted;
}

function checkSameLayout(reference: Contribution, c: Contribution): void {
  if (c.tensors.size !== reference.tensors.size) {
    throw new MergeError(
      'MERGE_NAMES_MISMATCH',
      `peer ${c.peerId} sends ${c.tensors.size} tensors, expected ${reference.tensors.size}`,
    );
  }
  for (const [name, ref] of reference.tensors) {
    const t = c.tensors.get(name);
    if (t === undefined)
      throw new MergeError('MERGE_NAMES_MISMATCH', `peer ${c.peerId} lacks tensor ${name}`);
    if (!sameShape(t, ref) || t.data.length !== tensorSize(ref.shape)) {
      throw new MergeError(
        'MERGE_SHAPE_MISMATCH',
        `tensor ${name} of peer ${c.peerId} has shape [${t.shape}] (${t.data.length} values), expected [${ref.shape}]`,
      );
    }
  }
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}
