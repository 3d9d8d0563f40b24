import { SwarmdError } from '../../core/index.js';
import type { PeerChannel, PeerLog, TrafficBook } from '../net/index.js';
import type { FetchRequest, FetchResponse, MissingChunk, UpdateManifest } from '../protocol/index.js';
import type { HeldUpdate, UpdateStore } from './store.js';

/*
 * Fetching what gossip did not bring, over the direct protocol: missing chunks of an announced update, a
 * whole update by hash (to verify a commit), merged weights by merged hash (to catch up). Each item is asked
 * of the preferred peer first, then of the other connected members; every answer is hash-checked.
 */
export class FetchError extends SwarmdError {
  /** Peers that answered without having what was asked: evidence, unlike a timeout or a dropped link. */
  refusedBy: readonly string[] = [];
}

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
  /** Runs a fetch in the background, tracked so the peer's stop() waits for it. */
  spawn(what: string, task: () => Promise<unknown>): void;
  /** Raised for every update the transfer completed (held from now on). */
  onCompleted(u: HeldUpdate): void;
}

export class Transfer {
  /** Chunks being fetched now: a second fetcher of the same update (a pull and a repair) skips them. */
  private readonly inFlight = new Set<string>();
  /** Whole updates being fetched because a hello named them. */
  private readonly announced = new Set<string>();

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
    refused?: string[],
  ): Promise<T | undefined> {
    for (const peer of sources) {
      if (this.d.signal.aborted) return undefined;
      try {
        const got = accept(await this.d.channel.request(peer, body, this.d.timeoutMs, this.d.signal));
        if (got !== undefined) return got;
        refused?.push(peer);
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

  /*
   * The sources of an update, all ending in the store and one in-flight table: gossip (addChunk), a pull of a
   * large update from its sender (pull), a repair of chunks that stopped arriving (repairStalled), a whole
   * update a hello named but whose manifest never came (fetchNamed), and fetches for a commit or a catch-up
   * (fetchUpdate, fetchMerged). Every request asks the preferred peer first, then the other members.
   */

  /** Large updates come by request, chunk by chunk from their sender first (see pushedByGossip). */
  pull(updateHash: string, from: string): void {
    // A pull that waits on a busy sender is not a stall: a repair beside it would fetch the same chunks
    // again.
    this.d.store.fetching(updateHash);
    this.d.spawn('pulling an update', () =>
      this.fetchChunks(this.d.store.missing(updateHash), this.sources([from]))
        .catch((err: unknown) =>
          this.d.log.debug({ peer: from, updateHash, err }, 'pulling an update failed'),
        )
        .finally(() => this.d.store.repairDone(updateHash, this.d.now())),
    );
  }

  /** Updates whose chunks stopped arriving for `afterMs`: their missing chunks are asked for directly. */
  repairStalled(afterMs: number): void {
    for (const r of this.d.store.takeRepairs(this.d.now(), afterMs)) {
      const fields = { updateHash: r.updateHash, peer: r.from, chunks: r.missing.length };
      this.d.log.debug(fields, 'repairing chunks');
      this.d.spawn('repairing chunks', () =>
        this.fetchChunks(r.missing, this.sources([r.from]))
          .catch((err: unknown) => this.d.log.warn({ updateHash: r.updateHash, err }, 'chunk repair failed'))
          .finally(() => this.d.store.repairDone(r.updateHash, this.d.now())),
      );
    }
  }

  /**
   * A hello named `from`'s update of `round`: if its manifest never came (gossip published before the mesh
   * formed is lost) the whole update is fetched directly; a failed fetch is retried at a later hello.
   */
  fetchNamed(updateHash: string, from: string, round: number): void {
    const arriving = this.d.store.missing(updateHash).length > 0; // its manifest came: gossip or a pull brings it
    if (this.d.store.get(updateHash) || arriving || this.announced.has(updateHash)) return;
    this.announced.add(updateHash);
    this.d.spawn('fetching an announced update', () =>
      this.fetchUpdate(updateHash, from, round, [from])
        .then((held) => this.d.onCompleted({ ...held, from, round }))
        .catch((err: unknown) => {
          this.announced.delete(updateHash);
          this.d.log.debug({ peer: from, round, updateHash, err }, 'could not fetch an announced update');
        }),
    );
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
    const refused: string[] = [];
    const manifest = await this.ask(
      sources,
      { kind: 'update', hash },
      (r) => (r.kind === 'update' && fits(r.manifest) ? r.manifest : undefined),
      refused,
    );
    if (manifest === undefined) {
      const err = new FetchError('FETCH_NOT_FOUND', `no peer could send update ${hash}`);
      err.refusedBy = refused;
      throw err;
    }
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
