import { StoreError } from './errors.js';
import type { Checkpoint, LogEntry } from './manifest.js';
import type { Store } from './store.js';

/*
 * The round log: the hash chain of the swarm's commits as this site applied them. It is the one writer of
 * log entries: a segment is appended only if it links onto the entry before it (entries from its first
 * round on are replaced: a fork repaired), always in one batch with what the last round produced (its
 * checkpoint, or the statistics round's metadata). Storage cannot read commits, so the node passes `decode`
 * to check that each entry's bytes are the commit its hashes name.
 */
export interface RoundLog {
  head(): Promise<LogEntry | undefined>;
  read(fromRound?: number): Promise<LogEntry[]>;
  append(
    chain: readonly LogEntry[],
    with_?: { checkpoint?: Checkpoint; meta?: Record<string, unknown> },
  ): Promise<void>;
  /** Walks the whole log: rounds consecutive from 0, every entry linked to the one before, bytes decoding. */
  verify(): Promise<LogCheck>;
  /**
   * Records this site's vote for commit `hash` of `round` unless it voted in that round before; returns the
   * hash it voted for (the first one). Written before the vote is sent, so a restart cannot vote twice.
   */
  vote(round: number, hash: string): Promise<string>;
}

/** What a commit's bytes say about it (the swarm's decoder, injected by the node). */
export type DecodeCommit = (
  bytes: Uint8Array,
) => { round: number; hash: string; prevHash: string | null } | undefined;

export type LogCheck =
  | { ok: true; rounds: number; head: string | null }
  | { ok: false; round: number; reason: string; rounds: number };

export class LogChainError extends StoreError {}

export function createRoundLog(store: Store, o: { decode?: DecodeCommit } = {}): RoundLog {
  let voting: Promise<unknown> = Promise.resolve();
  const vote = async (round: number, hash: string): Promise<string> => {
    const key = `vote-${String(round).padStart(12, '0')}`;
    const prior = await store.getMeta<string>(key);
    if (prior !== undefined) return prior;
    await store.putMeta(key, hash);
    return hash;
  };
  return {
    vote(round, hash) {
      const run = voting.then(() => vote(round, hash)); // one at a time: check and record are one step
      voting = run.catch(() => undefined);
      return run;
    },
    head: () => store.lastLogEntry(),
    read: (fromRound = 0) => store.getLog(fromRound),
    async append(chain, with_ = {}) {
      if (chain.length === 0) return;
      const first = chain[0];
      const before = first.round === 0 ? undefined : (await store.getLog(first.round - 1))[0];
      const expected = first.round === 0 ? null : before?.round === first.round - 1 ? before.hash : undefined;
      const problem = chainProblem(chain, expected);
      if (problem !== null) {
        throw new LogChainError(
          'LOG_CHAIN',
          `round log of ${store.path}: refusing to append rounds ${first.round}–${chain[chain.length - 1].round} (${problem}); nothing was written`,
        );
      }
      await store.writeRounds(chain, with_);
    },
    async verify() {
      const entries = await store.getLog(0);
      let prev: string | null = null;
      for (const [i, e] of entries.entries()) {
        const fail = (reason: string): LogCheck => ({ ok: false, round: e.round, reason, rounds: i });
        if (e.round !== i)
          return fail(i === 0 ? 'the log does not start at round 0' : `round ${i} is missing`);
        if (e.prevHash !== undefined && e.prevHash !== prev) return fail('does not link to the round before');
        const d = o.decode?.(e.bytes);
        if (o.decode && d === undefined) return fail('the stored commit does not decode');
        if (d && (d.hash !== e.hash || d.round !== e.round || d.prevHash !== prev)) {
          return fail('the stored commit is not the one its hashes name');
        }
        prev = e.hash;
      }
      return { ok: true, rounds: entries.length, head: prev };
    },
  };
}

/** Why a segment cannot follow `expectedPrev` (undefined: the round before it is not in the log). */
function chainProblem(chain: readonly LogEntry[], expectedPrev: string | null | undefined): string | null {
  if (expectedPrev === undefined) return `round ${chain[0].round - 1} is not in the log`;
  let prev = expectedPrev;
  for (const [i, e] of chain.entries()) {
    if (e.round !== chain[0].round + i) return 'rounds are not consecutive';
    if (e.prevHash !== prev) return `round ${e.round} does not link to the round before`;
    prev = e.hash;
  }
  return null;
}
