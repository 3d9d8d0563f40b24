import { commitHash } from './commit.js';
import { compareIds } from './ids.js';
import type { Certificate, Evidence, SignedCommit, Vote } from './wire.js';

/*
 * Commit certificates (Tendermint's precommits and commit, HotStuff's quorum certificate): a member votes for
 * a commit — signs (swarm, round, commit hash) — only after it recomputed and validated the merge itself, and
 * at most once a round. A commit takes effect with the votes of `quorum` distinct members. Two quorums of
 * more than half the members share a member, so two certified commits of one round need a member that voted
 * twice, and its two votes are the evidence that names it. Pure: signing and checking come in as functions.
 */
const VOTE_TAG = 'swarmd-vote-v1';

export type VerifySignature = (peerId: string, bytes: Uint8Array, signature: Uint8Array) => Promise<boolean>;

/** The default quorum: a strict majority of the member list (⌊n/2⌋ + 1). */
export function defaultCertQuorum(members: number): number {
  return Math.floor(members / 2) + 1;
}

/** What a vote signs, with a domain tag so it can never be replayed as a commit or anything else. */
export function voteBytes(swarmId: string, round: number, hash: string): Uint8Array {
  return new TextEncoder().encode(JSON.stringify([VOTE_TAG, swarmId, round, hash]));
}

export interface CertificateContext {
  swarmId: string;
  members: ReadonlySet<string>;
  quorum: number;
  verify: VerifySignature;
}

export type CertificateRejection =
  'uncertified' | 'below-quorum' | 'unsorted-votes' | 'non-member-vote' | 'bad-vote-signature';

export type CertificateCheck = { ok: true } | { ok: false; reason: CertificateRejection; detail: string };

/** True when `signed` carries votes of at least `quorum` distinct members, each signing this commit. */
export async function verifyCertificate(
  signed: SignedCommit,
  ctx: CertificateContext,
): Promise<CertificateCheck> {
  const { round } = signed.commit;
  const fail = (reason: CertificateRejection, detail: string): CertificateCheck => ({
    ok: false,
    reason,
    detail,
  });
  const votes = signed.certificate?.votes;
  if (votes === undefined) return fail('uncertified', `the commit of round ${round} carries no certificate`);
  for (let i = 1; i < votes.length; i++) {
    if (compareIds(votes[i - 1].peerId, votes[i].peerId) >= 0)
      return fail('unsorted-votes', 'votes are not distinct members in peer-ID order');
  }
  const outsider = votes.find((v) => !ctx.members.has(v.peerId));
  if (outsider !== undefined) return fail('non-member-vote', `a vote of non-member ${outsider.peerId}`);
  if (votes.length < ctx.quorum)
    return fail('below-quorum', `${votes.length} votes, the quorum is ${ctx.quorum}`);
  const bytes = voteBytes(ctx.swarmId, round, commitHash(signed.commit));
  const valid = await Promise.all(votes.map((v) => ctx.verify(v.peerId, bytes, v.signature)));
  const bad = votes.filter((_, i) => !valid[i]).map((v) => v.peerId);
  if (bad.length > 0) return fail('bad-vote-signature', `the vote of ${bad.join(', ')} does not verify`);
  return { ok: true };
}

/** The commit with a certificate made of `votes` (sorted by peer ID, as verifiers expect). */
export function certify(signed: SignedCommit, votes: readonly Vote[]): SignedCommit {
  const sorted = [...votes].sort((a, b) => compareIds(a.peerId, b.peerId));
  return { commit: signed.commit, signature: signed.signature, certificate: { votes: sorted } };
}

/** The commit as gossiped by its aggregator: without the votes (they travel on their own). */
export function uncertified(signed: SignedCommit): SignedCommit {
  return { commit: signed.commit, signature: signed.signature };
}

/** True when both votes are `peerId`'s, for different commits of `round`: it voted twice. */
export async function verifyEvidence(
  e: Evidence,
  round: number,
  ctx: Omit<CertificateContext, 'quorum'>,
): Promise<boolean> {
  if (!ctx.members.has(e.peerId) || e.votes[0].commitHash === e.votes[1].commitHash) return false;
  const checks = e.votes.map((v) =>
    ctx.verify(e.peerId, voteBytes(ctx.swarmId, round, v.commitHash), v.signature),
  );
  return (await Promise.all(checks)).every(Boolean);
}

export type TallyResult =
  | { kind: 'counted' }
  | { kind: 'repeat' }
  /** The member voted for another commit of this round before: both votes, as evidence. */
  | { kind: 'equivocation'; evidence: Evidence };

/**
 * The votes this peer has seen, by round and member (signatures already checked). The first vote of a
 * member in a round counts; a second one for another commit is evidence, and counts for nothing.
 */
export class VoteTally {
  private readonly rounds = new Map<number, Map<string, { commitHash: string; signature: Uint8Array }>>();

  add(round: number, peerId: string, vote: { commitHash: string; signature: Uint8Array }): TallyResult {
    const byMember = this.rounds.get(round) ?? new Map();
    this.rounds.set(round, byMember);
    const first = byMember.get(peerId);
    if (first === undefined) {
      byMember.set(peerId, vote);
      return { kind: 'counted' };
    }
    if (first.commitHash === vote.commitHash) return { kind: 'repeat' };
    return { kind: 'equivocation', evidence: { peerId, votes: [first, vote] } };
  }

  /** The votes for `hash` in `round`, in peer-ID order, leaving out `except` (members found voting twice). */
  votesFor(round: number, hash: string, except: (peerId: string) => boolean = () => false): Vote[] {
    const out: Vote[] = [];
    for (const [peerId, v] of this.rounds.get(round) ?? []) {
      if (v.commitHash === hash && !except(peerId)) out.push({ peerId, signature: v.signature });
    }
    return out.sort((a, b) => compareIds(a.peerId, b.peerId));
  }

  /** The certificate for `hash` once `quorum` members voted for it; null before. */
  certificate(
    round: number,
    hash: string,
    quorum: number,
    except?: (peerId: string) => boolean,
  ): Certificate | null {
    const votes = this.votesFor(round, hash, except);
    return votes.length >= quorum ? { votes } : null;
  }

  /** Commits of `round` with votes, most voted first (ties by hash): what status shows while it waits. */
  counts(round: number): { commitHash: string; votes: number }[] {
    const n = new Map<string, number>();
    for (const v of this.rounds.get(round)?.values() ?? [])
      n.set(v.commitHash, (n.get(v.commitHash) ?? 0) + 1);
    return [...n]
      .map(([commitHash, votes]) => ({ commitHash, votes }))
      .sort((a, b) => b.votes - a.votes || compareIds(a.commitHash, b.commitHash));
  }

  /** Forgets rounds before `round`. */
  prune(round: number): void {
    for (const r of this.rounds.keys()) if (r < round) this.rounds.delete(r);
  }
}
