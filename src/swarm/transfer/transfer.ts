import { SwarmdError } from '../../core/index.js';
import type { PeerChannel, PeerLog, TrafficBook } from '../net/index.js';
import type { FetchRequest, FetchResponse, MissingChunk, UpdateManifest } from '../protocol/index.js';
import type { HeldUpdate, UpdateStore } from './store.js';

/*
 * Fetching what gossip did not bring, over the direct protocol: missing chunks of an announced update, a
 * whole update by hash (to verify a commit), merged weights by merged hash (to catch up). Each item is asked
 * of the preferred peer first, then of the other connected members; every answer is hash-checked.
 */
export class FetchError extends SwarmdError {}

export interface TransferDeps {
  self: string;
  channel: PeerChannel;
  store: UpdateStore;
  book: TrafficBook;
  log: PeerLog;
  connectedPeers(): string[];
  isMember(peerId: string): boolean;
  now(): number;
  timeoutMs: number;
  /** Aborted when the peer stops: requests in flight end, no new one starts. */
  signal: AbortSignal;
  /** Raised for every update the transfer completed (held from now on). */
  onCompleted(u: HeldUpdate): void;
}

export class Transfer {
  /** Chunks being fetched now: a second fetcher of the same update (a pull and a repair) skips them. */
  private readonly inFlight = new Set<string>();

  constructor(private readonly d: TransferDeps) {}

  /** Peers to ask: the preferred ones in order, then the other connected members. */
  sources(preferred: readonly string[]): string[] {
    const all = [...preferred, ...this.d.connectedPeers()].filter(
      (p) => p !== this.d.self && this.d.isMember(p),
    );
    return [...new Set(all)];
  }

  /** Asks `sources` in turn until one answers with `accept`; undefined when none did. */
  async ask<T>(
    sources: readonly string[],
    body: FetchRequest,
    accept: (r: FetchResponse) => T | undefined,
  ): Promise<T | undefined> {
    for (const peer of sources) {
      if (this.d.signal.aborted) return undefined;
      try {
        const got = accept(await this.d.channel.request(peer, body, this.d.timeoutMs, this.d.signal));
        if (got !== undefined) return got;
        this.d.log.debug({ peer, kind: body.kind }, 'peer does not have what was asked');
      } catch (err) {
        this.d.log.debug({ peer, kind: body.kind, err }, 'direct fetch failed, trying another peer');
      }
    }
    return undefined;
  }

  /** Fetches missing chunks into the store; true when none is missing any more. */
  async fetchChunks(missing: readonly MissingChunk[], sources: readonly string[]): Promise<boolean> {
    let ok = true;
    for (const m of missing) {
      if (this.inFlight.has(m.hash)) {
        ok = false; // another fetch brings it
        continue;
      }
      this.inFlight.add(m.hash);
      try {
        const bytes = await this.ask(sources, { kind: 'chunk', hash: m.hash }, (r) =>
          r.kind === 'chunk' && r.hash === m.hash ? r.bytes : undefined,
        );
        if (bytes === undefined) ok = false;
        else this.addChunk(m.hash, bytes);
      } finally {
        this.inFlight.delete(m.hash);
      }
    }
    return ok;
  }

  /** Adds a chunk (from gossip or a fetch) and reports what it completed or proved corrupt. */
  addChunk(hash: string, bytes: Uint8Array): void {
    const out = this.d.store.addChunk({ hash, bytes }, this.d.now());
    if (out.result === 'corrupt') this.d.book.drop('corrupt-chunk');
    if (out.result !== 'added') return;
    for (const updateHash of out.corrupt) {
      this.d.book.drop('corrupt-update');
      this.d.log.warn({ updateHash }, 'chunks of an update do not hash to it: the sender is faulty');
    }
    out.completed.forEach((u) => this.d.onCompleted(u));
  }

  /** Registers an announced update; counts and logs a manifest no honest peer sends. */
  expect(manifest: UpdateManifest, from: string, round: number): boolean {
    try {
      return this.d.store.expect(manifest, from, round, this.d.now());
    } catch (err) {
      this.d.book.drop('bad-manifest');
      this.d.log.debug({ peer: from, round, err }, 'dropped an impossible update manifest');
      return false;
    }
  }

  /** An update by its hash (the contributor's bytes), from the store or from `preferred` peers. */
  async fetchUpdate(
    updateHash: string,
    contributor: string,
    round: number,
    preferred: string[],
  ): Promise<HeldUpdate> {
    const have = this.d.store.get(updateHash);
    if (have !== undefined) return have;
    const sources = this.sources([...preferred, contributor]);
    return this.fetchAnnounced(updateHash, sources, (m) => m.updateHash === updateHash, contributor, round);
  }

  /** Merged weights by merged hash; the caller checks the decoded tensors against it. */
  async fetchMerged(mergedHash: string, round: number, preferred: string[]): Promise<HeldUpdate> {
    return this.fetchAnnounced(mergedHash, this.sources(preferred), () => true, this.d.self, round);
  }

  private async fetchAnnounced(
    hash: string,
    sources: string[],
    fits: (m: UpdateManifest) => boolean,
    from: string,
    round: number,
  ): Promise<HeldUpdate> {
    const manifest = await this.ask(sources, { kind: 'update', hash }, (r) =>
      r.kind === 'update' && fits(r.manifest) ? r.manifest : undefined,
    );
    if (manifest === undefined) throw new FetchError('FETCH_NOT_FOUND', `no peer could send update ${hash}`);
    const held = this.d.store.get(manifest.updateHash);
    if (held !== undefined) return held;
    this.expect(manifest, from, round);
    await this.fetchChunks(this.d.store.missing(manifest.updateHash), sources);
    const done = this.d.store.get(manifest.updateHash);
    if (done === undefined)
      throw new FetchError('FETCH_INCOMPLETE', `could not fetch every chunk of ${hash}`);
    return done;
  }
}
