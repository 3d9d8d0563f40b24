/*
 * The reasons an update is left out of a merge, and the comparison every verifier makes between the
 * exclusions a commit names and the ones it recomputed: a closed set, so commits, /status and metric labels
 * agree on the words.
 */
import { compareIds } from './ids.js';
export const EXCLUSION_REASONS = [
  'duplicate',
  'malformed',
  'names',
  'shape',
  'samples',
  'samples-inflated',
  'non-finite',
  'norm',
  'stats-count',
  'stats-range',
] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

/** An exclusion as a commit names it (and signs it). */
export interface NamedExclusion {
  peerId: string;
  updateHash: string;
  reason: ExclusionReason;
}

/** Sorted by peer id, then reason, then hash: the order a commit carries them in. */
export function sortExclusions<T extends { peerId: string; reason: string; updateHash?: string }>(
  xs: readonly T[],
): T[] {
  return [...xs].sort(
    (a, b) =>
      compareIds(a.peerId, b.peerId) ||
      compareIds(a.reason, b.reason) ||
      compareIds(a.updateHash ?? '', b.updateHash ?? ''),
  );
}

/** True when both name the same (peer, reason) pairs, as multisets. */
export function sameExclusions(
  a: readonly { peerId: string; reason: string }[],
  b: readonly { peerId: string; reason: string }[],
): boolean {
  if (a.length !== b.length) return false;
  const key = (x: { peerId: string; reason: string }) => `${x.peerId}\0${x.reason}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((k, i) => k === right[i]);
}
