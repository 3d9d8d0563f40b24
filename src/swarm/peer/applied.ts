import { encodeTensors, hashTensors, type NamedTensors } from '../../core/index.js';
import {
  commitHash,
  commitRecord,
  decodeCommitRecord,
  roundKind,
  type SignedCommit,
} from '../protocol/index.js';
import type { PeerBook } from './book.js';
import type { UpdateStore } from '../transfer/index.js';
import type { PeerLog, RoundLog, RoundWork, SwarmPeerInit } from './types.js';

/*
 * What this peer has applied: the last commit (the chain's head), the merged weights training starts from,
 * recent commits and merged weights kept to serve peers that catch up, and whether maxRounds is reached.
 * Applies run one at a time and only move forward, whichever path (gossip or catch-up) brings them.
 */
const RECENT_COMMITS = 16;

export interface PeerCommitsDeps {
  init: SwarmPeerInit;
  work: RoundWork;
  roundLog: RoundLog;
  store: UpdateStore;
  book: PeerBook;
  log: PeerLog;
  now(): number;
  onApplied(round: number): void;
}

export class PeerCommits {
  /** Merged model weights of the last applied training round: the base of the next one. */
  base: NamedTensors | null = null;
  finished = false;
  /** Sample counts of the round-0 statistics commit, by peer: no site may claim more later. */
  fixedSamples: ReadonlyMap<string, number> | undefined;
  private last: { round: number; hash: string } | null = null;
  private readonly recent = new Map<string, SignedCommit>();
  private pinnedModel: string | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly d: PeerCommitsDeps) {
    this.restoreStats();
    const r = d.init.resume;
    if (r === null) return;
    this.last = { round: r.round, hash: r.hash };
    this.base = r.round > 0 ? r.merged : null;
    this.finished = d.init.maxRounds !== null && r.round >= d.init.maxRounds;
    const signed = decodeCommitRecord(r.bytes, d.init.swarmId, new Set(d.init.members));
    const c = signed?.commit;
    d.book.resumed(r.round, r.hash, c?.contributors ?? [], c?.createdAt ?? d.now());
    if (signed === undefined || commitHash(signed.commit) !== r.hash) {
      d.log.warn({ round: r.round }, 'the resumed commit does not decode to its hash; it will not be served');
      return;
    }
    this.remember(signed);
    this.noteStats(signed);
    if (r.merged.size > 0 && hashTensors(r.merged) === signed.commit.mergedHash) this.pin(signed, r.merged);
  }

  /** Keeps a resumed peer's merged statistics servable (checked against their commit first). */
  private restoreStats(): void {
    const s = this.d.init.resumeStats;
    if (!s) return;
    const signed = decodeCommitRecord(s.bytes, this.d.init.swarmId, new Set(this.d.init.members));
    if (signed?.commit.round !== 0 || hashTensors(s.merged) !== signed.commit.mergedHash) {
      this.d.log.warn(
        { round: 0 },
        'the stored statistics do not match their commit; they will not be served',
      );
      return;
    }
    this.remember(signed);
    this.noteStats(signed);
    this.pin(signed, s.merged);
  }

  applied(): { round: number; hash: string } | null {
    return this.last;
  }

  recentCommit(hash: string): SignedCommit | undefined {
    return this.recent.get(hash);
  }

  start(): void {
    this.stopped = false;
  }

  /** Refuses further applies and resolves when the one in progress (if any) has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain;
  }

  /**
   * Logs a verified chain segment (one commit, or every commit a catch-up fetched) with the last commit's
   * merged tensors, then adopts them; false when stale, stopped or failed. A segment that starts at or
   * before this peer's head replaces its entries from there (its head was not on the swarm's chain).
   */
  apply(chain: readonly SignedCommit[], merged: NamedTensors): Promise<boolean> {
    const run = this.chain.then(() => this.applyNow(chain, merged));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async applyNow(chain: readonly SignedCommit[], merged: NamedTensors): Promise<boolean> {
    const signed = chain[chain.length - 1];
    const c = signed.commit;
    if (this.stopped || (this.last !== null && c.round <= this.last.round)) return false;
    const records = chain.map(commitRecord);
    const hash = records[records.length - 1].hash;
    try {
      await this.d.roundLog.append(records, merged);
      await this.d.work.adopt(c.round, merged, records[records.length - 1]);
    } catch (err) {
      this.d.log.error({ round: c.round, err }, 'applying a commit failed; the peer will catch up later');
      const reason = `applying round ${c.round} failed: ${(err as Error).message}`;
      this.d.book.setStalled({ sinceMs: this.d.now(), reason });
      return false;
    }
    this.last = { round: c.round, hash };
    chain.forEach((s) => {
      this.remember(s);
      this.noteStats(s);
    });
    this.pin(signed, merged);
    if (c.kind === 'model') this.base = merged;
    this.d.book.committed(c.round, hash, c.contributors, c.excluded ?? []);
    this.d.log.info({ round: c.round, hash, contributors: c.contributors.length }, 'applied a round commit');
    if (this.d.init.maxRounds !== null && c.round >= this.d.init.maxRounds && !this.finished) {
      this.finished = true;
      this.d.log.info({ round: c.round }, 'reached maxRounds: no more training, still serving peers');
    }
    this.d.onApplied(c.round);
    return true;
  }

  private noteStats(signed: SignedCommit): void {
    const c = signed.commit;
    if (c.round === 0) this.fixedSamples = new Map(c.contributors.map((x) => [x.peerId, x.samples]));
  }

  private remember(signed: SignedCommit): void {
    this.recent.set(commitHash(signed.commit), signed);
    if (this.recent.size > RECENT_COMMITS) this.recent.delete(this.recent.keys().next().value!);
  }

  /** Keeps these merged weights servable by merged hash; the statistics round's stay, older models' go. */
  private pin(signed: SignedCommit, merged: NamedTensors): void {
    const c = signed.commit;
    const samples = c.contributors.reduce((n, x) => n + x.samples, 0);
    const fields = { kind: roundKind(c.round).kind, samples, baseCommitHash: commitHash(c) };
    this.d.store.pinMerged(c.mergedHash, encodeTensors(merged), fields, c.round, this.d.init.self);
    if (c.kind !== 'model') return;
    if (this.pinnedModel !== null && this.pinnedModel !== c.mergedHash)
      this.d.store.unpinMerged(this.pinnedModel);
    this.pinnedModel = c.mergedHash;
  }
}
