import { decodeTensors, hashTensors, type NamedTensors } from '../../core/index.js';
import {
  RecentSet,
  commitHash,
  decodeCommitRecord,
  verifyCertificate,
  verifyLog,
  type CommitRecord,
  type FetchResponse,
  type Genesis,
  type MergeMethod,
  type Recomputed,
  type SignedCommit,
} from '../protocol/index.js';
import type { PeerBook } from './book.js';
import { FetchError, type Transfer } from '../transfer/index.js';
import type { PeerLog } from './types.js';

/*
 * Catching up: a peer that is behind (restarted, joined late, or missed a commit) fetches the round log
 * from a peer that is ahead, checks chain, signatures and every entry's quorum certificate from its own last
 * commit on, fetches the merged weights of the latest commit by merged hash, checks them, and applies that
 * commit only. A peer that has never applied the statistics round applies it first, since training needs the
 * shared preprocessing. An entry without a valid certificate is never applied, whoever signed it.
 */
export interface CatchUpDeps {
  swarmId: string;
  members: ReadonlySet<string>;
  minPeers: number;
  merge: MergeMethod;
  verify: (peerId: string, bytes: Uint8Array, sig: Uint8Array) => Promise<boolean>;
  /** Votes a commit needs (certQuorum). */
  quorum: number;
  /** This peer's swarm config as the genesis round 0 must bind. */
  genesis?: Genesis;
  transfer: Transfer;
  book: PeerBook;
  log: PeerLog;
  now(): number;
  /** The head of this peer's chain. */
  applied(): { round: number; hash: string } | null;
  /** This peer's own round log from `fromRound` on. */
  readOwn(fromRound: number): Promise<CommitRecord[]>;
  /** The commit's merge recomputed from updates this peer holds (it may hold them when one round behind). */
  recompute(signed: SignedCommit): Recomputed;
  /** Logs and applies a verified chain segment with its last commit's merged tensors; false if not applied. */
  apply(chain: readonly SignedCommit[], merged: NamedTensors): Promise<boolean>;
}

/**
 * How many of its own latest rounds a peer gives up to rejoin the swarm's chain after a fork. Only
 * uncertified entries (from before certificates) can be on a fork: two certified commits of one round exist
 * only if a member voted twice.
 */
export const MAX_FORK_DEPTH = 16;

/** Why a log fails that no honest peer serves: its certificates do not hold (never a fork or a timeout). */
const UNCERTIFIED = new Set([
  'uncertified',
  'below-quorum',
  'unsorted-votes',
  'non-member-vote',
  'bad-vote-signature',
  'bad-signature',
  'genesis-mismatch',
]);

/** Brings this peer up to `peerId`'s latest commit; throws FetchError when that peer cannot help. */
export async function catchUpFrom(d: CatchUpDeps, peerId: string): Promise<void> {
  const last = d.applied();
  let fromRound = last === null ? 0 : last.round + 1;
  let commits = await fetchLog(d, peerId, fromRound);
  let check = await verifyLog(commits, { ...d, fromRound, prevHash: last?.hash ?? null });
  // This peer's latest commits may not be the swarm's (its aggregator stopped right after applying its own,
  // or a slow aggregator's commit won here and the next one's elsewhere): the chains fork at some round
  // not long ago, and the swarm's chain from there replaces this peer's.
  if (!check.ok && check.reason === 'bad-chain' && check.round === fromRound && last !== null) {
    const fork = await forkPoint(d, peerId, last.round);
    if (fork !== null && fork.ownCertified) {
      const why = `two certified commits of round ${fork.fromRound}: this peer's and the one peer ${peerId} serves`;
      d.book.setStalled({
        sinceMs: d.now(),
        reason: `${why} — a quorum member voted twice (see its equivocation evidence); the swarm's safety assumption is broken: stop and investigate`,
      });
      throw new FetchError('CATCH_UP_CONFLICT', why);
    }
    if (fork !== null) {
      ({ fromRound, commits } = fork);
      check = await verifyLog(commits, { ...d, fromRound, prevHash: fork.prevHash });
      if (check.ok)
        d.log.warn(
          { round: fromRound, head: last.hash, replaced: last.round - fromRound + 1 },
          'the last applied commits are not on the swarm chain; replacing them',
        );
    }
  }
  if (!check.ok) {
    d.book.drop(check.reason);
    const detail = check.detail === undefined ? '' : `: ${check.detail}`;
    throw new FetchError(
      UNCERTIFIED.has(check.reason) ? 'CATCH_UP_UNCERTIFIED' : 'CATCH_UP_BAD_LOG',
      `the round log from peer ${peerId} fails at round ${check.round} (${check.reason}${detail})`,
    );
  }
  const latest = commits[commits.length - 1];
  if (latest.commit.round <= (last?.round ?? -1)) {
    throw new FetchError('CATCH_UP_NOT_AHEAD', `peer ${peerId} has no commit after round ${last?.round}`);
  }
  // The whole segment goes into the log (no gaps), with the latest merged weights. A peer that never
  // applied the statistics round applies it on its own first: training needs the shared preprocessing.
  const segments = last === null && commits.length > 1 ? [commits.slice(0, 1), commits.slice(1)] : [commits];
  for (const chain of segments) {
    await d.apply(chain, await mergedTensors(d, chain[chain.length - 1], peerId));
  }
  d.log.info({ peer: peerId, round: latest.commit.round }, 'caught up with the swarm');
}

/**
 * The first round where this peer's log and `peerId`'s differ, at most MAX_FORK_DEPTH rounds back, with the
 * peer's log from there and the hash both chains share before it; null when no such round is found.
 */
async function forkPoint(
  d: CatchUpDeps,
  peerId: string,
  head: number,
): Promise<{
  fromRound: number;
  commits: SignedCommit[];
  prevHash: string | null;
  ownCertified: boolean;
} | null> {
  const start = Math.max(0, head - MAX_FORK_DEPTH + 1);
  const [theirs, ours] = await Promise.all([fetchLog(d, peerId, start), d.readOwn(start)]);
  const mine = new Map(ours.map((e) => [e.round, e]));
  for (const signed of theirs) {
    const own = mine.get(signed.commit.round);
    if (own === undefined || signed.commit.round > head) return null;
    if (own.hash === commitHash(signed.commit)) continue;
    // The chains agree up to here: the commit before this one is shared (or there is none, at round 0).
    if (own.prevHash !== signed.commit.prevHash) return null;
    const fromRound = signed.commit.round;
    const commits = theirs.filter((x) => x.commit.round >= fromRound);
    const ownCertified = decodeCommitRecord(own.bytes, d.swarmId, d.members)?.certificate !== undefined;
    return { fromRound, commits, prevHash: own.prevHash, ownCertified };
  }
  return null;
}

async function fetchLog(d: CatchUpDeps, peerId: string, fromRound: number): Promise<SignedCommit[]> {
  const commits = await d.transfer.ask([peerId], { kind: 'log', fromRound }, (r) =>
    r.kind === 'log' ? r.commits : undefined,
  );
  if (commits === undefined || commits.length === 0) {
    throw new FetchError('CATCH_UP_NO_LOG', `peer ${peerId} sent no round log from round ${fromRound}`);
  }
  return commits;
}

/** The commit's merged tensors: recomputed where this peer can, else fetched by merged hash; both checked. */
async function mergedTensors(d: CatchUpDeps, signed: SignedCommit, peerId: string): Promise<NamedTensors> {
  const { mergedHash, round } = signed.commit;
  const own = d.recompute(signed);
  if (own.ok && own.mergedHash === mergedHash) return own.merged;
  if (own.ok || own.reason !== 'missing-updates') {
    d.book.drop(own.ok ? 'merged-hash-mismatch' : own.reason);
    throw new FetchError(
      'CATCH_UP_BAD_MERGED',
      `the commit of round ${round} does not match the updates held here`,
    );
  }
  const held = await d.transfer.fetchMerged(mergedHash, round, [peerId]);
  let tensors: NamedTensors;
  try {
    tensors = decodeTensors(held.bytes);
  } catch (err) {
    throw new FetchError('CATCH_UP_BAD_MERGED', `merged weights of round ${round} do not decode`, {
      cause: err,
    });
  }
  if (hashTensors(tensors) !== mergedHash) {
    d.book.drop('merged-hash-mismatch');
    throw new FetchError('CATCH_UP_BAD_MERGED', `merged weights of round ${round} do not match the commit`);
  }
  return tensors;
}

/**
 * A catch-up failure that shows a claim to be ahead false: the peer served a log whose certificates do not
 * hold (no honest peer does), or it claimed two or more rounds past this peer's head and served no log, or
 * none past the head. Not a timeout, a dropped link or a broken chain, and not a claim of one round (a
 * commit may be in flight).
 */
export function isFalseClaim(err: unknown, claimed: number, mine: number): boolean {
  if (!(err instanceof FetchError)) return false;
  if (err.code === 'CATCH_UP_UNCERTIFIED') return true;
  return ['CATCH_UP_NO_LOG', 'CATCH_UP_NOT_AHEAD'].includes(err.code) && claimed > mine + 1;
}

/** Heads remembered as certified, and claims remembered as refused (oldest forgotten first). */
const REMEMBERED_HEADS = 256;

/**
 * Hellos' claims to be ahead, believed only with a certificate: the claimed head commit is fetched from the
 * claimer and its certificate checked (once per head: every honest member claims the same one). A claim
 * whose head does not come with a valid certificate is false, and `refuse` scores it.
 */
export class CertifiedHeads {
  private readonly certified = new RecentSet(REMEMBERED_HEADS);
  private readonly refused = new RecentSet(REMEMBERED_HEADS);
  /** Checks in progress, by claim (peer and head). */
  private readonly checking = new Map<string, Promise<void>>();

  constructor(
    private readonly d: Pick<
      CatchUpDeps,
      'swarmId' | 'members' | 'quorum' | 'verify' | 'transfer' | 'now'
    > & {
      spawn(what: string, task: () => Promise<unknown>): void;
      refuse(peerId: string, err: Error): void;
    },
  ) {}

  /** True when the head (round, hash) is known certified; else checks it (once) and calls `then` if it is. */
  check(peerId: string, round: number, hash: string, then: () => void): boolean {
    const head = `${round}:${hash}`;
    if (this.certified.has(head, this.d.now())) return true;
    const claim = `${peerId}:${head}`;
    if (this.checking.has(claim) || this.refused.has(claim, this.d.now())) return false;
    const run = this.verifyClaim(peerId, round, hash, then).finally(() => this.checking.delete(claim));
    this.checking.set(claim, run);
    this.d.spawn('checking a claimed head', () => run);
    return false;
  }

  /** Resolves once the checks in progress now have ended (a restarted peer knows who is ahead). */
  settled(): Promise<void> {
    return Promise.allSettled([...this.checking.values()]).then(() => undefined);
  }

  private async verifyClaim(peerId: string, round: number, hash: string, then: () => void): Promise<void> {
    const [head, claim] = [`${round}:${hash}`, `${peerId}:${round}:${hash}`];
    try {
      const why = await this.problem(peerId, round, hash);
      if (why === null) {
        this.certified.add(head, this.d.now());
        return then();
      }
      this.refused.add(claim, this.d.now());
      this.d.refuse(peerId, new FetchError('CATCH_UP_UNCERTIFIED', `claimed head of round ${round}: ${why}`));
    } catch (err) {
      if (!(err instanceof FetchError && err.code === 'CATCH_UP_NO_ANSWER')) throw err;
    }
  }

  private async problem(peerId: string, round: number, hash: string): Promise<string | null> {
    const refused: string[] = [];
    const accept = (r: FetchResponse) => (r.kind === 'commit' ? r.signed : undefined);
    const signed = await this.d.transfer.ask([peerId], { kind: 'commit', hash }, accept, refused);
    if (signed === undefined && refused.length > 0) return 'the claimer answered without it';
    // No answer is no evidence (a slow or restarting site): the claim is checked again at its next hello.
    if (signed === undefined) throw new FetchError('CATCH_UP_NO_ANSWER', `peer ${peerId} did not answer`);
    if (commitHash(signed.commit) !== hash || signed.commit.round !== round)
      return 'another commit came back';
    const cert = await verifyCertificate(signed, this.d);
    return cert.ok ? null : `${cert.reason}: ${cert.detail}`;
  }
}

/**
 * Who is ahead of this peer (from their hellos) and whether to catch up now: at once when a peer is two or
 * more rounds ahead, else once it stayed ahead for `persistMs` (the commit may still be on its way). One
 * catch-up at a time; a peer that could not help is left alone for `retryMs`.
 */
export class AheadTracker {
  private readonly ahead = new Map<string, { round: number; sinceMs: number }>();
  private readonly retryAt = new Map<string, number>();
  private busy = false;
  private current: Promise<void> | null = null;

  constructor(
    private readonly now: () => number,
    private readonly retryMs: number,
  ) {}

  note(peerId: string, committedRound: number | null, mine: number): void {
    if (committedRound === null || committedRound <= mine) this.ahead.delete(peerId);
    else
      this.ahead.set(peerId, {
        round: committedRound,
        sinceMs: this.ahead.get(peerId)?.sinceMs ?? this.now(),
      });
  }

  /** The round `peerId` last claimed to have committed (-1: none ahead). */
  claimOf(peerId: string): number {
    return this.ahead.get(peerId)?.round ?? -1;
  }

  /** Forgets what an ignored member claimed. */
  forget(peerId: string): void {
    this.ahead.delete(peerId);
  }

  /** The highest round a peer says it committed (-1: none is ahead). */
  maxRound(): number {
    return Math.max(-1, ...[...this.ahead.values()].map((a) => a.round));
  }

  /** True when some peer says it committed `round` already, and has not failed to show it since. */
  hasCommitted(round: number): boolean {
    const now = this.now();
    return [...this.ahead].some(([p, a]) => a.round >= round && (this.retryAt.get(p) ?? 0) <= now);
  }

  /** The peer to catch up from now, if any; `force` skips the wait for a commit that may still come. */
  candidate(mine: number, persistMs: number, force = false): string | undefined {
    if (this.busy) return undefined;
    const now = this.now();
    let best: { peerId: string; round: number; sinceMs: number } | undefined;
    for (const [peerId, a] of this.ahead) {
      if (a.round <= mine) this.ahead.delete(peerId);
      else if ((this.retryAt.get(peerId) ?? 0) <= now && (best === undefined || a.round > best.round)) {
        best = { peerId, ...a };
      }
    }
    if (best === undefined) return undefined;
    const due = force || best.round > mine + 1 || now - best.sinceMs >= persistMs;
    return due ? best.peerId : undefined;
  }

  /** Resolves when the catch-up in progress (if any) ends, or when `bound()` resolves. */
  settled(bound: () => Promise<void>): Promise<void> {
    return this.current === null ? Promise.resolve() : Promise.race([this.current, bound()]);
  }

  /** Runs one catch-up; a failure (also reported to `failed`) leaves the peer alone for retryMs. */
  run(
    peerId: string,
    task: () => Promise<void>,
    log: PeerLog,
    failed?: (err: unknown) => void,
  ): Promise<void> {
    const run = this.attempt(peerId, task, log, failed);
    this.current = run;
    void run.finally(() => {
      if (this.current === run) this.current = null;
    });
    return run;
  }

  private async attempt(
    peerId: string,
    task: () => Promise<void>,
    log: PeerLog,
    failed?: (err: unknown) => void,
  ): Promise<void> {
    this.busy = true;
    try {
      await task();
      this.retryAt.delete(peerId);
    } catch (err) {
      failed?.(err);
      log.warn({ peer: peerId, err }, 'catching up failed; will try again');
      // A claim the peer could not back with a log no longer holds this peer back: a member that says it
      // is far ahead (lying, or broken) must not stop the others from training. Its next hello renews it.
      this.ahead.delete(peerId);
      this.retryAt.set(peerId, this.now() + this.retryMs);
    } finally {
      this.busy = false;
    }
  }
}
