import { MemberScores, RateLimiter, RecentSet, type MemberConduct, type Offence } from '../protocol/index.js';
import type { PeerLog, SwarmPeerEvent } from './types.js';

/*
 * The swarm peer's side of member conduct: scores offences by member (and says so in the log and as
 * events), ignores a member past the threshold for the rest of the session, bounds how many commits a
 * member gets checked (a token bucket) and remembers commits already found bad, so a flood of forged
 * commits costs a bounded amount of work.
 */
export interface PeerConductDeps {
  self: string;
  now(): number;
  log: PeerLog;
  onEvent?: (e: SwarmPeerEvent) => void;
  /** Points at which a member is ignored (default DEFAULT_IGNORE_AFTER_POINTS). */
  ignoreAfterPoints?: number;
  /** A member just became ignored: forget what it claimed, count it lost. */
  onIgnored(peerId: string): void;
}

/** Commits checked per member: a burst of 4, then 2 a second (an honest aggregator sends one a round). */
const COMMIT_BURST = 4;
const COMMITS_PER_SECOND = 2;
/**
 * Commits found bad, remembered by aggregator and hash so a repeat costs a lookup (by hash alone, one
 * aggregator's commit out of turn would hide another's commit of the same merge in its turn).
 */
const REJECTED_COMMITS = 1024;

export type CommitAdmission =
  'ok' | 'ignored-member' | 'rate-limited' | 'known-bad-commit' | 'relayed-commit';

export class PeerConduct {
  private readonly scores: MemberScores;
  private readonly commits = new RateLimiter(COMMIT_BURST, COMMITS_PER_SECOND);
  private readonly rejected = new RecentSet(REJECTED_COMMITS);

  constructor(private readonly d: PeerConductDeps) {
    this.scores = new MemberScores(d.ignoreAfterPoints);
  }

  /** Counts an offence once per piece of evidence (`key`); past the threshold the member is ignored. */
  offence(peerId: string, offence: Offence, key: string, detail?: string): void {
    if (peerId === this.d.self) return;
    const now = this.d.now();
    const before = this.scores.ignored(peerId);
    const nowIgnored = this.scores.record(peerId, offence, key, now);
    if (before) return;
    this.d.log.warn({ peer: peerId, offence, detail }, 'a member misbehaved');
    this.d.onEvent?.({ type: 'offence', peerId, offence });
    if (!nowIgnored) return;
    this.d.log.warn({ peer: peerId }, 'ignoring a member for the rest of the session: too many offences');
    this.d.onIgnored(peerId);
  }

  /** A claim to be ahead that its log did not back (each failed check counts). */
  falseClaim(peerId: string, err: unknown): void {
    this.offence(peerId, 'false-claim', `${this.d.now()}`, err instanceof Error ? err.message : String(err));
  }

  ignored(peerId: string): boolean {
    return this.scores.ignored(peerId);
  }

  /**
   * Whether to check a commit `from` published: its own (an honest peer publishes no other's), not from an
   * ignored member, within its rate, not known bad.
   */
  admitCommit(from: string, c: { round: number; aggregator: string }, hash: string): CommitAdmission {
    if (this.scores.ignored(from)) return 'ignored-member';
    if (from !== c.aggregator) {
      this.offence(from, 'forged-commit', `round ${c.round}: relayed`, 'published the commit of another');
      return 'relayed-commit';
    }
    const now = this.d.now();
    if (this.rejected.has(`${c.aggregator}/${hash}`, now)) return 'known-bad-commit';
    return this.commits.take(from, now) ? 'ok' : 'rate-limited';
  }

  /** A commit failed a check: logged, its aggregator scored, a repeat dropped without checking it again. */
  rejectedCommit(
    c: { round: number; aggregator: string },
    hash: string,
    reason: string,
    detail?: string,
  ): void {
    this.d.log.warn({ round: c.round, aggregator: c.aggregator, reason, detail }, 'rejected a commit');
    const offence = commitOffence(reason);
    if (offence === null) return;
    this.rejected.add(`${c.aggregator}/${hash}`, this.d.now());
    this.offence(c.aggregator, offence, `round ${c.round}: ${reason}`, detail);
  }

  snapshot(): MemberConduct[] {
    return this.scores.snapshot();
  }
}

/**
 * The offence a commit rejection is evidence of, or null where an honest peer can cause it (a fork: bad
 * chain, wrong round; a stale or duplicate commit).
 */
export function commitOffence(reason: string): Offence | null {
  switch (reason) {
    case 'bad-chain':
    case 'wrong-round':
    case 'stale-round':
    case 'missing-updates':
      return null;
    case 'out-of-turn':
      return 'out-of-turn';
    default:
      return 'forged-commit';
  }
}
