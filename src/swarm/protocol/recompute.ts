import { hashTensors, type NamedTensors } from '../../core/index.js';
import { type Contributor } from './commit.js';
import { compareIds } from './ids.js';
import { sameExclusions, sortExclusions, type NamedExclusion } from './exclusions.js';
import { mergeByMethod, type Contribution, type MergeMethod } from './merge.js';
import { roundKind } from './rounds.js';
import { shapesOf, validateRound, type Exclusion, type RoundValidation } from './validate.js';
import { readContribution } from './update-bytes.js';
import { validateStatsRound } from './stats-check.js';
import type { UpdateManifest } from './wire.js';

/*
 * A round's merge as every peer computes it from the updates it holds: the aggregator plans it (validates
 * every update it collected, leaves the invalid ones out and names them), every other peer recomputes it from
 * the commit (validates the contributors and the named exclusions together, so the median-based bounds see
 * the same set) and accepts only the same merged hash and the same exclusions.
 */

/** The updates a merge is recomputed from, by update hash (the transfer's store implements it). */
export interface HeldUpdates {
  get(updateHash: string): { manifest: UpdateManifest; bytes: Uint8Array } | undefined;
}

export type Recomputed =
  | { ok: true; merged: NamedTensors; mergedHash: string }
  | {
      ok: false;
      reason:
        | 'missing-updates'
        | 'samples-mismatch'
        | 'wrong-kind'
        | 'bad-update'
        | 'merge-failed'
        | 'invalid-update'
        | 'exclusions-mismatch';
      detail?: string;
      /** invalid-update, exclusions-mismatch: the exclusions this peer computed. */
      excluded?: (Exclusion & { updateHash: string })[];
    };

/**
 * How model rounds are merged and which updates may take part, the same at every peer: the merge method
 * and its parameters, and the validation bounds. `reference` is the last merged model (null before any);
 * `fixedSamples` the sample counts of the round-0 statistics commit, by peer id.
 */
export interface MergePolicy {
  merge: MergeMethod;
  reference: NamedTensors | null;
  trim?: number;
  clipNorm?: number;
  maxUpdateNorm?: number;
  normMultiple?: number;
  maxSampleWeight?: number;
  fixedSamples?: ReadonlyMap<string, number>;
}

interface RoundMerge {
  round: number;
  method: MergeMethod;
  kind: 'stats' | 'model';
  contributors: readonly Contributor[];
  excluded?: readonly NamedExclusion[];
}

/**
 * Recomputes a commit's merge from the updates this peer holds (float64, peer-ID order: deterministic). A
 * model round's contributors must all pass validation and its named exclusions be exactly the ones this
 * peer finds; `policy.merge` is the swarm's method for model rounds, a commit that names another is refused.
 */
export function recomputeMerge(store: HeldUpdates, c: RoundMerge, policy: MergePolicy): Recomputed {
  const named = c.excluded ?? [];
  const all = [...c.contributors, ...named.map((x) => ({ ...x, samples: undefined }))];
  const held = heldContributions(store, policy.merge, c, all);
  if (!held.ok) return held;
  const v = validateHeld(c.kind, held, policy);
  const excluded = withHashes(v, all);
  const listed = new Set(c.contributors.map((x) => x.peerId));
  const bad = excluded.filter((x) => listed.has(x.peerId));
  if (bad.length > 0) return { ok: false, reason: 'invalid-update', detail: describe(bad), excluded };
  if (!sameExclusions(excluded, named)) {
    return { ok: false, reason: 'exclusions-mismatch', detail: describe(excluded), excluded };
  }
  return merge(c.method, v.accepted, policy, v.reference);
}

/**
 * The aggregator's merge of the updates it collected: the invalid ones left out and named (sorted), the rest
 * merged when they are still `minPeers`; contributors keep the sample counts they claimed.
 */
export function planMerge(
  store: HeldUpdates,
  c: Omit<RoundMerge, 'excluded'>,
  policy: MergePolicy,
  minPeers: number,
): { r: Recomputed; contributors: Contributor[]; excluded: (Exclusion & { updateHash: string })[] } {
  const held = heldContributions(store, policy.merge, c, c.contributors);
  if (!held.ok) return { r: held, contributors: [...c.contributors], excluded: [] };
  const v = validateHeld(c.kind, held, policy);
  const excluded = withHashes(v, c.contributors);
  const out = new Set(excluded.map((x) => x.updateHash));
  const contributors = c.contributors.filter((x) => !out.has(x.updateHash));
  if (contributors.length < minPeers) {
    const detail = `${contributors.length} valid updates, fewer than minPeers ${minPeers}; ${describe(excluded)}`;
    return { r: { ok: false, reason: 'invalid-update', detail, excluded }, contributors, excluded };
  }
  return { r: merge(c.method, v.accepted, policy, v.reference), contributors, excluded };
}

/** Decodes the listed updates (model rounds: one that does not decode is malformed); claims must match. */
function heldContributions(
  store: HeldUpdates,
  merge: MergeMethod,
  c: { round: number; method: MergeMethod; kind: 'stats' | 'model' },
  listed: readonly { peerId: string; updateHash: string; samples?: number }[],
): { ok: true; contributions: Contribution[]; malformed: Exclusion[] } | Extract<Recomputed, { ok: false }> {
  const expected = roundKind(c.round, merge);
  if (c.kind !== expected.kind || c.method !== expected.method) return { ok: false, reason: 'wrong-kind' };
  const held = listed.map((x) => ({ x, u: store.get(x.updateHash) }));
  if (held.some((h) => h.u === undefined)) return { ok: false, reason: 'missing-updates' };
  const claimed = (h: (typeof held)[number]) =>
    h.x.samples === undefined || h.x.samples === h.u!.manifest.samples;
  if (held.some((h) => !claimed(h) || h.u!.manifest.kind !== c.kind)) {
    return { ok: false, reason: 'samples-mismatch' };
  }
  const contributions: Contribution[] = [];
  const malformed: Exclusion[] = [];
  for (const { x, u } of held) {
    // The bytes name their sender: identical weights from two sites still hash apart (see update-bytes).
    const r = readContribution(u!.bytes, x.peerId);
    if (r.ok) contributions.push({ peerId: x.peerId, samples: u!.manifest.samples, tensors: r.tensors });
    else malformed.push({ peerId: x.peerId, reason: 'malformed', detail: r.detail });
  }
  return { ok: true, contributions, malformed };
}

function merge(
  method: MergeMethod,
  contributions: readonly Contribution[],
  policy: MergePolicy,
  reference: NamedTensors | null,
): Recomputed {
  try {
    const merged = mergeByMethod(method, contributions, {
      reference,
      trim: policy.trim,
      clipNorm: policy.clipNorm,
    });
    return { ok: true, merged, mergedHash: hashTensors(merged) };
  } catch (err) {
    return { ok: false, reason: 'merge-failed', detail: (err as Error).message };
  }
}

/** The round's validation: statistics (round 0) by what a dataset can have, model updates by the policy. */
function validateHeld(
  kind: 'stats' | 'model',
  held: { contributions: Contribution[]; malformed: Exclusion[] },
  policy: MergePolicy,
): RoundValidation {
  if (kind === 'stats') return validateStatsRound(held.contributions, held.malformed);
  return validateModelRound(held, policy);
}

/** Shapes come from the last merged model, or before any from the layout most contributions share. */
function validateModelRound(
  held: { contributions: Contribution[]; malformed: Exclusion[] },
  policy: MergePolicy,
): RoundValidation {
  const expectedShapes = shapesOf(policy.reference ?? commonLayout(held.contributions));
  const v = validateRound(held.contributions, { ...policy, expectedShapes });
  return { ...v, excluded: [...v.excluded, ...held.malformed] };
}

/** The layout (names and shapes) most contributions have; ties go to the lowest peer id. */
function commonLayout(contributions: readonly Contribution[]): NamedTensors {
  const sorted = [...contributions].sort((a, b) => compareIds(a.peerId, b.peerId));
  const key = (c: Contribution) => JSON.stringify([...shapesOf(c.tensors)].sort());
  const counts = new Map<string, number>();
  for (const c of sorted) counts.set(key(c), (counts.get(key(c)) ?? 0) + 1);
  let best: Contribution | undefined;
  for (const c of sorted) if (best === undefined || counts.get(key(c))! > counts.get(key(best))!) best = c;
  return best?.tensors ?? new Map();
}

/** The exclusions with the hashes of the updates they leave out (a peer listed twice: in listed order). */
function withHashes(
  v: RoundValidation,
  listed: readonly { peerId: string; updateHash: string }[],
): (Exclusion & { updateHash: string })[] {
  const used = new Set<number>();
  const out = v.excluded.map((x) => {
    const i = listed.findIndex((l, j) => l.peerId === x.peerId && !used.has(j));
    used.add(i);
    return { ...x, updateHash: listed[i].updateHash };
  });
  return sortExclusions(out);
}

function describe(xs: readonly Exclusion[]): string {
  return xs.map((x) => `${x.peerId}: ${x.reason} (${x.detail})`).join('; ');
}
