import { z } from 'zod';
import { verifyCertificate, type VerifySignature } from './certificate.js';
import { checkCommitStructure, commitHash, verifyCommitSignature } from './commit.js';
import type { MergeMethod } from './merge.js';
import { roundKind } from './rounds.js';
import { HashSchema, PeerIdSchema } from './schemas.js';
import { RoundCommitSchema, type Genesis, type SignedCommit } from './wire.js';

/*
 * The round log as a record an auditor checks offline (an ethics board, a regulator, a site that joins
 * later): per round the commit in readable JSON — contributors with their update hashes and sample counts,
 * exclusions, the merged-model hash — its aggregator's signature and the quorum's votes, chained from a
 * round 0 that binds the swarm config. Checking it needs the member list and the config only: no model key,
 * no swarm secret, no daemon. It proves who agreed to which model from which contributions; it cannot prove
 * that a site trained honestly on real data.
 */
export const RECORD_FORMAT = 'swarmd-record/1';

const Base64Bytes = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64')
  .transform((s) => new Uint8Array(Buffer.from(s, 'base64')));

const RecordRoundSchema = z
  .object({
    commitHash: HashSchema,
    commit: RoundCommitSchema,
    signature: Base64Bytes,
    votes: z.array(z.object({ peerId: PeerIdSchema, signature: Base64Bytes }).strict()),
  })
  .strict();

export const AuditRecordSchema = z
  .object({
    format: z.literal(RECORD_FORMAT),
    swarmId: z.string().min(1),
    exportedAt: z.string(),
    rounds: z.array(RecordRoundSchema),
  })
  .strict();

/** The record as written (signatures in base64). */
export interface AuditRecordJson {
  format: typeof RECORD_FORMAT;
  swarmId: string;
  exportedAt: string;
  rounds: {
    commitHash: string;
    commit: SignedCommit['commit'];
    signature: string;
    votes: { peerId: string; signature: string }[];
  }[];
}

/** The record of a chain of commits from round 0 (uncertified entries keep an empty vote list). */
export function auditRecord(
  swarmId: string,
  chain: readonly SignedCommit[],
  exportedAt: string,
): AuditRecordJson {
  const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
  return {
    format: RECORD_FORMAT,
    swarmId,
    exportedAt,
    rounds: chain.map((s) => ({
      commitHash: commitHash(s.commit),
      commit: s.commit,
      signature: b64(s.signature),
      votes: (s.certificate?.votes ?? []).map((v) => ({ peerId: v.peerId, signature: b64(v.signature) })),
    })),
  };
}

export interface RecordContext {
  swarmId: string;
  members: ReadonlySet<string>;
  minPeers: number;
  quorum: number;
  merge: MergeMethod;
  /** The swarm config the auditor holds, as a genesis: round 0 must bind exactly it. */
  genesis: Genesis;
  verify: VerifySignature;
}

export type RecordCheck =
  | { ok: true; rounds: number; head: string | null; mergedHashes: string[] }
  | { ok: false; round: number | null; reason: string };

/** Checks a record end to end: format, chain from round 0, genesis, each commit's signature and certificate. */
export async function verifyAuditRecord(json: unknown, ctx: RecordContext): Promise<RecordCheck> {
  const parsed = AuditRecordSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return {
      ok: false,
      round: null,
      reason: `not a swarmd record: ${i.path.join('.') || '(top)'}: ${i.message}`,
    };
  }
  const record = parsed.data;
  if (record.swarmId !== ctx.swarmId)
    return {
      ok: false,
      round: null,
      reason: `it is the record of swarm ${record.swarmId}, not ${ctx.swarmId}`,
    };
  let prevHash: string | null = null;
  for (const [i, entry] of record.rounds.entries()) {
    const c = entry.commit;
    const fail = (reason: string): RecordCheck => ({ ok: false, round: c.round, reason });
    if (c.round !== i)
      return { ok: false, round: i, reason: `round ${i} is missing (the next entry is round ${c.round})` };
    if (commitHash(c) !== entry.commitHash)
      return fail('the commit does not hash to its commitHash (edited)');
    const { method, kind } = roundKind(c.round, ctx.merge);
    if (c.kind !== kind) return fail(`a ${c.kind} commit where the swarm has a ${kind} round`);
    const structure = checkCommitStructure(
      { commit: c, signature: entry.signature },
      { ...ctx, expectedPrevHash: prevHash, round: c.round, method },
    );
    if (!structure.ok) return fail(describe(structure.reason, structure.detail));
    const signed: SignedCommit = {
      commit: c,
      signature: entry.signature,
      certificate: { votes: entry.votes },
    };
    if (!(await verifyCommitSignature(signed, ctx.verify)))
      return fail(`the signature of aggregator ${c.aggregator} does not verify`);
    if (entry.votes.length === 0) return fail('no certificate: no quorum of members agreed to this commit');
    const cert = await verifyCertificate(signed, ctx);
    if (!cert.ok) return fail(`certificate: ${cert.detail}`);
    prevHash = entry.commitHash;
  }
  return {
    ok: true,
    rounds: record.rounds.length,
    head: prevHash,
    mergedHashes: record.rounds.map((r) => r.commit.mergedHash),
  };
}

function describe(reason: string, detail?: string): string {
  if (reason === 'bad-chain')
    return 'does not link to the round before (an entry was removed, added or edited)';
  if (reason === 'genesis-mismatch' && detail !== undefined) return detail;
  return detail === undefined ? reason : `${reason}: ${detail}`;
}
