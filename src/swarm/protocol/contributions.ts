import { SwarmdError, tensorSize, type NamedTensors, type Tensor } from '../../core/index.js';
import { compareIds } from './ids.js';

/** One site's update as a merge sees it: its tensors and the sample count that weighs them. */
export interface Contribution {
  peerId: string;
  samples: number;
  tensors: NamedTensors;
}

/**
 * Codes: MERGE_EMPTY, MERGE_BAD_SAMPLES, MERGE_DUPLICATE_PEER, MERGE_NAMES_MISMATCH, MERGE_SHAPE_MISMATCH,
 * MERGE_CONFIG (a merge parameter is missing or does not fit the number of contributors).
 */
export class MergeError extends SwarmdError {}

/** Checks that every contribution has the same layout and a valid sample count; returns them in peer-ID order. */
export function checkContributions(contributions: readonly Contribution[]): Contribution[] {
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
    checkSameLayout(reference.tensors, c.tensors, `peer ${c.peerId}`);
  }
  return sorted;
}

/** Throws MERGE_NAMES_MISMATCH / MERGE_SHAPE_MISMATCH unless `tensors` has exactly the names and shapes of `reference`. */
export function checkSameLayout(reference: NamedTensors, tensors: NamedTensors, who: string): void {
  if (tensors.size !== reference.size) {
    throw new MergeError(
      'MERGE_NAMES_MISMATCH',
      `${who} sends ${tensors.size} tensors, expected ${reference.size}`,
    );
  }
  for (const [name, ref] of reference) {
    const t = tensors.get(name);
    if (t === undefined) throw new MergeError('MERGE_NAMES_MISMATCH', `${who} lacks tensor ${name}`);
    if (!sameShape(t, ref) || t.data.length !== tensorSize(ref.shape)) {
      throw new MergeError(
        'MERGE_SHAPE_MISMATCH',
        `tensor ${name} of ${who} has shape [${t.shape}] (${t.data.length} values), expected [${ref.shape}]`,
      );
    }
  }
}

function sameShape(a: Tensor, b: Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}
