import { decodeTensors, hashTensors, type NamedTensors } from '../../core/index.js';
import {
  checkCommitStructure,
  commitHash,
  verifyCommitSignature,
  type Contributor,
  type SignedCommit,
} from './commit.js';
import { mergeByMethod, type Contribution, type MergeMethod } from './merge.js';
import { shapesOf, validateRound, type Exclusion } from './validate.js';
import { roundKind } from './rounds.js';
import { WIRE_VERSION, decodeMessage, encodeMessage, type UpdateManifest } from './wire.js';

/** A commit as the round log keeps it: `bytes` decode with decodeCommitRecord. */
export interface CommitRecord {
  round: number;
  hash: string;
  /** The previous commit's hash (null for the first round): the log checks the chain with it. */
  prevHash: string | null;
  bytes: Uint8Array;
}

/** The updates a merge is recomputed from, by update hash (the transfer's store implements it). */
export interface HeldUpdates {
  get(updateHash: string): { manifest: UpdateManifest; bytes: Uint8Array } | undefined;
}

/*
 * What a peer does with commits beyond the pure checks: recompute a merge from the updates it holds, encode
 * a signed commit for the round log (and decode it again to serve the log), verify a fetched log's chain.
 */

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
        | 'invalid-update';
      detail?: string;
      /** invalid-update: the contributions that fail validation (the aggregator leaves them out). */
      excluded?: Exclusion[];
    };

/**
 * How model rounds are merged and which updates may take part, the same at every peer: the merge method
 * and its parameters, and the validation bounds. `reference` is the last merged model (null before any).
 */
export interface MergePolicy {
  merge: MergeMethod;
  reference: NamedTensors | null;
  trim?: number;
  clipNorm?: number;
  maxUpdateNorm?: number;
  normMultiple?: number;
  maxSampleWeight?: number;
}

/**
 * Merges the listed contributors' updates as this peer holds them (float64, peer-ID order: deterministic).
 * `merge` is the swarm's method for model rounds; a commit that names another is refused.
 */
export function recomputeMerge(
  store: HeldUpdates,
  c: { round: number; method: MergeMethod; kind: 'stats' | 'model'; contributors: readonly Contributor[] },
  policy: MergePolicy,
): Recomputed {
  const expected = roundKind(c.round, policy.merge);
  if (c.kind !== expected.kind || c.method !== expected.method) return { ok: false, reason: 'wrong-kind' };
  const held = c.contributors.map((x) => ({ x, u: store.get(x.updateHash) }));
  if (held.some((h) => h.u === undefined)) return { ok: false, reason: 'missing-updates' };
  if (held.some((h) => h.u!.manifest.samples !== h.x.samples || h.u!.manifest.kind !== c.kind)) {
    return { ok: false, reason: 'samples-mismatch' };
  }
  let contributions;
  try {
    contributions = held.map((h) => ({
      peerId: h.x.peerId,
      samples: h.x.samples,
      tensors: decodeTensors(h.u!.bytes),
    }));
  } catch (err) {
    return { ok: false, reason: 'bad-update', detail: (err as Error).message };
  }
  let merging = contributions;
  if (c.kind === 'model') {
    const v = validateModelRound(contributions, policy);
    if (v.excluded.length > 0) {
      const detail = v.excluded.map((x) => `${x.peerId}: ${x.reason} (${x.detail})`).join('; ');
      return { ok: false, reason: 'invalid-update', detail, excluded: v.excluded };
    }
    merging = v.accepted;
  }
  try {
    const merged = mergeByMethod(c.method, merging, {
      reference: policy.reference,
      trim: policy.trim,
      clipNorm: policy.clipNorm,
    });
    return { ok: true, merged, mergedHash: hashTensors(merged) };
  } catch (err) {
    return { ok: false, reason: 'merge-failed', detail: (err as Error).message };
  }
}

/** A signed commit as the round log stores it. */
export function commitRecord(signed: SignedCommit): CommitRecord {
  const { round, prevHash } = signed.commit;
  return { round, hash: commitHash(signed.commit), prevHash, bytes: commitRecordBytes(signed) };
}

/** Shapes come from the last merged model, or before any from the first contribution (one architecture). */
function validateModelRound(contributions: Contribution[], policy: MergePolicy) {
  const shapesFrom = policy.reference ?? contributions[0]?.tensors ?? new Map();
  return validateRound(contributions, {
    reference: policy.reference,
    expectedShapes: shapesOf(shapesFrom),
    maxUpdateNorm: policy.maxUpdateNorm,
    normMultiple: policy.normMultiple,
    maxSampleWeight: policy.maxSampleWeight,
  });
}

/** What a stored commit says about its place in the chain (the round log checks entries with it). */
export function commitSummary(
  bytes: Uint8Array,
  swarmId: string,
  members: ReadonlySet<string>,
): { round: number; hash: string; prevHash: string | null } | undefined {
  const signed = decodeCommitRecord(bytes, swarmId, members);
  if (signed === undefined) return undefined;
  const { round, prevHash } = signed.commit;
  return { round, prevHash, hash: commitHash(signed.commit) };
}

/** The bytes the round log stores for a commit: the signed commit as a wire `commit` message. */
export function commitRecordBytes(signed: SignedCommit): Uint8Array {
  const { swarmId, round, aggregator } = signed.commit;
  return encodeMessage({ v: WIRE_VERSION, type: 'commit', swarmId, from: aggregator, round, body: signed });
}

export function decodeCommitRecord(
  bytes: Uint8Array,
  swarmId: string,
  members: ReadonlySet<string>,
): SignedCommit | undefined {
  const r = decodeMessage(bytes, { swarmId, members, maxBytes: 1024 * 1024 });
  return r.ok && r.msg.type === 'commit' ? r.msg.body : undefined;
}

export interface LogContext {
  swarmId: string;
  members: ReadonlySet<string>;
  minPeers: number;
  fromRound: number;
  merge: MergeMethod;
  /** Hash of this peer's last applied commit: the first fetched commit must chain onto it. */
  prevHash: string | null;
  verify: (peerId: string, bytes: Uint8Array, sig: Uint8Array) => Promise<boolean>;
}

/** Checks a fetched log: consecutive rounds from `fromRound`, chained, well-formed and signed. */
export async function verifyLog(
  commits: readonly SignedCommit[],
  ctx: LogContext,
): Promise<{ ok: true } | { ok: false; reason: string; round: number }> {
  let prevHash = ctx.prevHash;
  for (const [i, signed] of commits.entries()) {
    const c = signed.commit;
    const round = ctx.fromRound + i;
    const { method, kind } = roundKind(round, ctx.merge);
    if (c.kind !== kind) return { ok: false, reason: 'wrong-kind', round };
    const check = checkCommitStructure(signed, { ...ctx, expectedPrevHash: prevHash, round, method });
    if (!check.ok) return { ok: false, reason: check.reason, round };
    if (!(await verifyCommitSignature(signed, ctx.verify)))
      return { ok: false, reason: 'bad-signature', round };
    prevHash = commitHash(c);
  }
  return { ok: true };
}
