import { hashTensors } from '../../../core/index.js';
import {
  checkRevealed,
  decodeMaskedPayload,
  decodeSum,
  decodeTotal,
  roundKind,
  sameLayout,
  SecAggError,
  unflattenMean,
  unmask,
  validateStatsRound,
  type Contributor,
  type FixedPointParams,
  type HeldUpdates,
  type SecureRound,
  sortContributors,
  type MaskedPayload,
  type Recomputed,
  type TensorLayout,
  residueBytes,
} from '../../protocol/index.js';
import type { UpdateStore } from '../../transfer/index.js';
import type { SecureRoundState } from './state.js';

/*
 * The merge of a secure round, the same at every peer: the masked vectors the commit names, unmasked with
 * the revealed shares this peer holds, decoded to the FedAvg of the contributors' quantised updates (model
 * rounds) or to the sum of their statistics (round 0, validated once unmasked: nobody saw a site's own). Too
 * few revealed shares yet reads as `missing-updates` (more may arrive); anything else rejects the commit.
 */
/** Secure model rounds merge by FedAvg only (the config validator refuses robust merges). */
export const SECURE_MERGE = 'fedavg';

export function recomputeSecure(
  st: SecureRoundState | undefined,
  store: HeldUpdates,
  c: { round: number; method: string; kind: 'stats' | 'model'; contributors: readonly Contributor[] },
  fixedPoint: FixedPointParams,
  fixedSamples: ReadonlyMap<string, number> | undefined,
): Recomputed & { rejectedRevealers?: string[] } {
  const expected = roundKind(c.round, SECURE_MERGE);
  if (c.kind !== expected.kind || c.method !== expected.method) return { ok: false, reason: 'wrong-kind' };
  if (st?.roster == null) return { ok: false, reason: 'missing-updates', detail: 'no roster for the round' };
  const roster = st.roster;
  const masked = new Map<string, Float64Array>();
  let layout: TensorLayout[] | null = null;
  for (const x of c.contributors) {
    const u = store.get(x.updateHash);
    if (u === undefined) return { ok: false, reason: 'missing-updates' };
    if (u.manifest.samples !== x.samples) return { ok: false, reason: 'samples-mismatch' };
    const limit = fixedSamples?.get(x.peerId);
    if (limit !== undefined && x.samples > limit) {
      return {
        ok: false,
        reason: 'invalid-update',
        detail: `${x.peerId} claims ${x.samples} samples, at most ${limit}`,
      };
    }
  }
  try {
    // Cheap first: while reveals are still arriving, no vector is decoded (this runs on every message).
    const senders = c.contributors.map((x) => x.peerId);
    const revealed = {
      reveals: st.reveals,
      commitments: st.commitments,
      silent: new Set(st.unmask?.silent ?? []),
      pairSeeds: st.pairSeeds,
    };
    checkRevealed(roster.round, senders, revealed);
    for (const x of c.contributors) {
      const p = screenPayload(store.get(x.updateHash)!.bytes, roster.hash, layout, fixedPoint);
      if (typeof p === 'string') return { ok: false, reason: 'bad-update', detail: `${x.peerId}: ${p}` };
      layout = p.layout;
      masked.set(x.peerId, p.residues);
    }
    const input = { ...revealed, masked, elements: masked.values().next().value!.length };
    const { sum, rejectedRevealers } = unmask(roster.round, input);
    const samples = c.contributors.reduce((s, x) => s + x.samples, 0);
    const decoded = c.kind === 'stats' ? statisticsSum(sum, fixedPoint) : decodeSum(sum, fixedPoint);
    const weight = c.kind === 'stats' ? c.contributors.length : samples;
    if (decoded.samples !== weight) {
      const detail = `the masked vectors sum to a weight of ${decoded.samples}, the commit names ${weight}`;
      return { ok: false, reason: 'samples-mismatch', detail };
    }
    const merged = unflattenMean(layout!, decoded.mean);
    if (c.kind === 'stats') {
      const check = validateStatsRound([{ peerId: 'the sum', samples, tensors: merged }]);
      if (check.excluded.length > 0) {
        const detail = `the unmasked statistics are impossible: ${check.excluded[0].detail}`;
        return { ok: false, reason: 'invalid-update', detail };
      }
    }
    return { ok: true, merged, mergedHash: hashTensors(merged), rejectedRevealers };
  } catch (err) {
    if (!(err instanceof SecAggError)) throw err;
    const reason = err.code === 'SECAGG_TOO_FEW' ? 'missing-updates' : 'merge-failed';
    return { ok: false, reason, detail: err.message };
  }
}

/** Round 0: the total of weight-1 encodings, in decodeSum's shape (samples = contributors, mean = the sum). */
function statisticsSum(sum: Float64Array, fixedPoint: FixedPointParams) {
  const { weight, total } = decodeTotal(sum, fixedPoint);
  return { samples: weight, mean: total };
}

/** The masked vector in `bytes`, or why it cannot take part: another roster, another layout, malformed. */
export function screenPayload(
  bytes: Uint8Array,
  rosterHash: string,
  layout: readonly TensorLayout[] | null,
  fixedPoint: FixedPointParams,
): MaskedPayload | string {
  let p: MaskedPayload;
  try {
    p = decodeMaskedPayload(bytes, residueBytes(fixedPoint));
  } catch (err) {
    if (!(err instanceof SecAggError)) throw err;
    return err.message;
  }
  if (p.rosterHash !== rosterHash) return 'masked against another roster';
  if (layout !== null && !sameLayout(layout, p.layout)) {
    return `masked vector of ${p.elements} residues with another layout than the model's`;
  }
  return p;
}

/** A masked vector left out before unmasking (another roster, wrong length, malformed, inflated count). */
export interface SecureExclusion {
  peerId: string;
  updateHash: string;
  reason: 'secagg' | 'samples-inflated';
  detail: string;
}

/**
 * The masked vectors of `round` this peer holds from roster members that could take part in the sum: masked
 * against this roster with one layout (the model's, if known), their dealer's shares dealt, and a sample
 * count no larger than the site's count in round 0 (a vector cannot be inspected, its claim can). The same
 * screen decides what an aggregator names and what a sender refuses to see called dropped.
 */
export function screenSenders(
  store: HeldUpdates,
  st: SecureRoundState,
  layout: readonly TensorLayout[] | null,
  held: readonly Contributor[],
  fixedSamples: ReadonlyMap<string, number> | undefined,
  fixedPoint: FixedPointParams,
): { senders: Contributor[]; excluded: SecureExclusion[] } {
  const excluded: SecureExclusion[] = [];
  const senders: Contributor[] = [];
  const why = (x: Contributor): Pick<SecureExclusion, 'reason' | 'detail'> | null => {
    const limit = fixedSamples?.get(x.peerId);
    if (limit !== undefined && x.samples > limit) {
      return {
        reason: 'samples-inflated',
        detail: `claims ${x.samples} samples; at most ${limit} (round 0)`,
      };
    }
    if (!st.commitments.has(x.peerId))
      return { reason: 'secagg', detail: 'dealt no shares: cannot be unmasked' };
    const p = screenPayload(store.get(x.updateHash)!.bytes, st.roster!.hash, layout, fixedPoint);
    if (typeof p === 'string') return { reason: 'secagg', detail: p };
    layout ??= p.layout;
    return null;
  };
  for (const x of held) {
    const out = why(x);
    if (out === null) senders.push(x);
    else excluded.push({ peerId: x.peerId, updateHash: x.updateHash, ...out });
  }
  return { senders, excluded };
}

/** The contributors an unmask request names (samples from the manifests held; 1 stands in until held). */
export function contributorsOf(
  store: HeldUpdates,
  senders: readonly { peerId: string; maskedHash: string }[],
): Contributor[] {
  return senders.map((x) => ({
    ...{ peerId: x.peerId, updateHash: x.maskedHash },
    samples: store.get(x.maskedHash)?.manifest.samples ?? 1,
  }));
}

/** The counted updates and every other masked vector of `round` held from a roster member, in peer-ID order. */
export function heldContributors(
  store: UpdateStore,
  round: number,
  self: string,
  counted: readonly Contributor[],
  roster: SecureRound,
): Contributor[] {
  const all = new Map(counted.map((x) => [x.peerId, x]));
  for (const u of store.heldIn([round], self)) {
    const { updateHash, samples, kind } = u.manifest;
    if (kind === 'model' && !all.has(u.from)) all.set(u.from, { peerId: u.from, updateHash, samples });
  }
  const onRoster = new Set(roster.roster.map((a) => a.peerId));
  return sortContributors([...all.values()].filter((x) => onRoster.has(x.peerId)));
}
