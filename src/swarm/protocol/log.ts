import { verifyCertificate } from './certificate.js';
import { checkCommitStructure, commitHash, verifyCommitSignature, type SignedCommit } from './commit.js';
import type { MergeMethod } from './merge.js';
import { roundKind } from './rounds.js';
import { WIRE_VERSION, decodeMessage, encodeMessage, type Genesis } from './wire.js';

/** A commit as the round log keeps it: `bytes` decode with decodeCommitRecord. */
export interface CommitRecord {
  round: number;
  hash: string;
  /** The previous commit's hash (null for the first round): the log checks the chain with it. */
  prevHash: string | null;
  bytes: Uint8Array;
}

/*
 * The round log's side of commits: encode a signed commit for the log (and decode it again to serve the
 * log), and verify a fetched log's chain. Merges are recomputed in recompute.ts.
 */

/** A signed commit as the round log stores it. */
export function commitRecord(signed: SignedCommit): CommitRecord {
  const { round, prevHash } = signed.commit;
  return { round, hash: commitHash(signed.commit), prevHash, bytes: commitRecordBytes(signed) };
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
  // Entries written before certificates decode too (uncertified): verifiers say so, catch-up refuses them.
  const r = decodeMessage(bytes, { swarmId, members, maxBytes: 1024 * 1024, legacy: true });
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
  /** Votes a commit needs to be final (certQuorum). */
  quorum: number;
  /** This peer's swarm config: round 0 must bind it. */
  genesis?: Genesis;
}

/**
 * Checks a fetched log: consecutive rounds from `fromRound`, chained, well-formed, signed by its aggregator
 * and certified by a quorum of members — one member's signature is never enough to move a peer.
 */
export async function verifyLog(
  commits: readonly SignedCommit[],
  ctx: LogContext,
): Promise<{ ok: true } | { ok: false; reason: string; round: number; detail?: string }> {
  let prevHash = ctx.prevHash;
  for (const [i, signed] of commits.entries()) {
    const c = signed.commit;
    const round = ctx.fromRound + i;
    const { method, kind } = roundKind(round, ctx.merge);
    if (c.kind !== kind) return { ok: false, reason: 'wrong-kind', round };
    const check = checkCommitStructure(signed, { ...ctx, expectedPrevHash: prevHash, round, method });
    if (!check.ok) return { ok: false, reason: check.reason, round, detail: check.detail };
    if (!(await verifyCommitSignature(signed, ctx.verify)))
      return { ok: false, reason: 'bad-signature', round };
    const cert = await verifyCertificate(signed, ctx);
    if (!cert.ok) return { ok: false, reason: cert.reason, round, detail: cert.detail };
    prevHash = commitHash(c);
  }
  return { ok: true };
}
