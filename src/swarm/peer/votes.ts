import {
  certify,
  commitHash,
  verifyEvidence,
  voteBytes,
  VoteTally,
  type Evidence,
  type SignedCommit,
} from '../protocol/index.js';
import type { Outgoing } from '../net/index.js';
import type { PeerBook } from './book.js';
import type { PeerConduct } from './conduct.js';
import type { PeerLog, RoundLog } from './types.js';

/*
 * The peer's votes and the certificates they make. This peer votes for a commit only after it recomputed and
 * validated the merge (the round machine's apply-commit), records the vote durably before sending it, and
 * never votes for a second commit of a round. It collects every member's votes (signatures checked), applies
 * a commit once a quorum voted for it, and turns two votes of one member in one round into evidence: sent to
 * every peer, checked by each, and the member ignored from then on.
 */
export interface PeerVotesDeps {
  swarmId: string;
  self: string;
  members: ReadonlySet<string>;
  quorum: number;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  verify: (peerId: string, bytes: Uint8Array, sig: Uint8Array) => Promise<boolean>;
  roundLog: Pick<RoundLog, 'vote'>;
  publish(m: Outgoing): Promise<boolean>;
  conduct: PeerConduct;
  book: PeerBook;
  log: PeerLog;
  now(): number;
  /** The round this peer is in: votes for rounds past the next one are dropped unchecked. */
  round(): number;
}

interface Waiter {
  round: number;
  hash: string;
  signed: SignedCommit;
  sinceMs: number;
  done: (certified: SignedCommit | null) => void;
}

export class PeerVotes {
  private readonly tally = new VoteTally();
  /** This peer's own votes by round, re-sent while it waits (gossip loses messages). */
  private readonly own = new Map<number, { commitHash: string; signature: Uint8Array }>();
  private readonly waiters = new Set<Waiter>();

  constructor(private readonly d: PeerVotesDeps) {}

  /**
   * Votes for a commit this peer verified and resolves with it certified once a quorum voted for it; null
   * when this peer voted for another commit of the round before (also before a restart), when the round is
   * settled otherwise (a catch-up applied it) or when the peer stops.
   */
  async certify(signed: SignedCommit, signal: AbortSignal): Promise<SignedCommit | null> {
    const { round } = signed.commit;
    const hash = commitHash(signed.commit);
    if (!(await this.vote(round, hash))) return null;
    if (signal.aborted) return null;
    return new Promise((resolve) => {
      const w: Waiter = {
        round,
        hash,
        signed,
        sinceMs: this.d.now(),
        done: (certified) => {
          this.waiters.delete(w);
          signal.removeEventListener('abort', abort);
          resolve(certified);
        },
      };
      const abort = () => w.done(null);
      signal.addEventListener('abort', abort, { once: true });
      this.waiters.add(w);
      this.check(round);
    });
  }

  /** A vote from gossip: checked, counted once per member and round; a second, different one is evidence. */
  async onVote(
    from: string,
    round: number,
    body: { commitHash: string; signature: Uint8Array },
  ): Promise<void> {
    if (this.d.conduct.ignored(from) || !this.d.members.has(from)) return;
    if (round > this.d.round() + 1) return this.d.book.drop('future-round');
    const known = this.tally.votesFor(round, body.commitHash).some((v) => v.peerId === from);
    if (known) return;
    const bytes = voteBytes(this.d.swarmId, round, body.commitHash);
    if (!(await this.d.verify(from, bytes, body.signature))) {
      this.d.book.drop('bad-vote-signature');
      this.d.conduct.offence(
        from,
        'forged-commit',
        `round ${round}: vote`,
        'a vote whose signature does not verify',
      );
      return;
    }
    const r = this.tally.add(round, from, body);
    if (r.kind === 'equivocation') return this.convict(round, r.evidence, true);
    if (r.kind === 'counted') this.check(round);
  }

  /** Evidence from gossip: both votes checked before the member is ignored (a forged claim costs nothing). */
  async onEvidence(from: string, round: number, e: Evidence): Promise<void> {
    if (this.d.conduct.ignored(e.peerId)) return;
    if (!(await verifyEvidence(e, round, this.d))) {
      this.d.book.drop('bad-evidence');
      return this.d.log.warn(
        { peer: from, accused: e.peerId, round },
        'equivocation evidence does not verify',
      );
    }
    this.convict(round, e, false);
  }

  /** Rounds up to `round` are settled (applied): whoever still waits on one of them stops waiting. */
  settled(round: number): void {
    for (const w of [...this.waiters]) if (w.round <= round) w.done(null);
    this.tally.prune(round + 1);
    for (const r of this.own.keys()) if (r <= round) this.own.delete(r);
  }

  /** Sends this peer's vote of a round it still waits on again: a lost vote must not stall the round. */
  resend(): void {
    for (const w of this.waiters) {
      const vote = this.own.get(w.round);
      if (vote !== undefined) void this.send(w.round, vote);
    }
  }

  /** True when this peer has seen a quorum of votes for commit `hash` of `round` (not yet pruned). */
  certified(round: number, hash: string): boolean {
    return this.tally.certificate(round, hash, this.d.quorum, (p) => this.d.conduct.ignored(p)) !== null;
  }

  /** The wait, for status: which commit, how many votes of the quorum, and since when (null: none). */
  waiting(): { round: number; hash: string; votes: number; quorum: number; sinceMs: number } | null {
    const w = [...this.waiters][0];
    if (w === undefined) return null;
    const votes = this.tally.votesFor(w.round, w.hash, (p) => this.d.conduct.ignored(p)).length;
    return { round: w.round, hash: w.hash, votes, quorum: this.d.quorum, sinceMs: w.sinceMs };
  }

  private async vote(round: number, hash: string): Promise<boolean> {
    const recorded = await this.d.roundLog.vote(round, hash);
    if (recorded !== hash) {
      this.d.log.warn(
        { round, commit: hash, votedFor: recorded },
        'not voting: this member voted for another commit of this round before',
      );
      return false;
    }
    const signature = await this.d.sign(voteBytes(this.d.swarmId, round, hash));
    const vote = { commitHash: hash, signature };
    this.own.set(round, vote);
    this.tally.add(round, this.d.self, vote);
    await this.send(round, vote);
    return true;
  }

  private send(round: number, vote: { commitHash: string; signature: Uint8Array }): Promise<boolean> {
    this.d.log.debug({ round, commit: vote.commitHash }, 'sent a vote');
    return this.d.publish({ type: 'vote', round, body: vote });
  }

  /** Applies what a quorum certified: every waiter on a commit of `round` with enough votes. */
  private check(round: number): void {
    const except = (p: string) => this.d.conduct.ignored(p);
    for (const w of [...this.waiters]) {
      if (w.round !== round) continue;
      const cert = this.tally.certificate(round, w.hash, this.d.quorum, except);
      if (cert !== null) w.done(certify(w.signed, cert.votes));
    }
  }

  private convict(round: number, e: Evidence, found: boolean): void {
    const detail = `voted for commits ${e.votes[0].commitHash.slice(0, 12)}… and ${e.votes[1].commitHash.slice(0, 12)}… of round ${round}`;
    this.d.log.warn({ peer: e.peerId, round }, `equivocation: a member ${detail}; ignoring it`);
    this.d.conduct.offence(e.peerId, 'double-vote', `round ${round}`, detail);
    if (found) void this.d.publish({ type: 'evidence', round, body: e });
  }
}
