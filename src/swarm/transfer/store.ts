import {
  ChunkAssembler,
  ChunkError,
  MAX_CHUNK_BYTES,
  sha256Hex,
  splitIntoChunks,
  type MissingChunk,
  type UpdateManifest,
} from '../protocol/index.js';

/*
 * The updates a peer holds (its own, the ones it assembled from chunks, and merged weights it serves by
 * merged hash) and the ones still arriving. Held bytes are whole and hash-checked; a chunk is served as a
 * slice of them, so nothing is stored twice.
 */
export interface HeldUpdate {
  manifest: UpdateManifest;
  bytes: Uint8Array;
  /** The contributor (or this peer, for merged weights). */
  from: string;
  round: number;
}

interface Arrival {
  manifest: UpdateManifest;
  from: string;
  round: number;
  /** When the manifest or the latest of its chunks arrived, or the latest repair ended. */
  lastProgressMs: number;
  repairing: boolean;
}

export interface Repair {
  updateHash: string;
  from: string;
  missing: MissingChunk[];
}

export type ChunkOutcome =
  | { result: 'added'; completed: HeldUpdate[]; corrupt: string[] }
  | { result: 'duplicate' | 'unexpected' | 'corrupt' };

export class UpdateStore {
  private readonly held = new Map<string, HeldUpdate & { pinned: boolean }>();
  private readonly chunkOwner = new Map<string, { updateHash: string; index: number }>();
  private readonly arriving = new Map<string, Arrival>();
  private readonly merged = new Map<string, string>(); // merged hash → update hash of its blob
  private readonly assembler = new ChunkAssembler();

  /** Splits `bytes` into chunks and holds them; returns the manifest to announce. */
  holdBytes(
    bytes: Uint8Array,
    fields: Pick<UpdateManifest, 'kind' | 'samples' | 'baseCommitHash'>,
    from: string,
    round: number,
  ): UpdateManifest {
    const split = splitIntoChunks(bytes);
    const manifest: UpdateManifest = {
      ...fields,
      updateHash: split.hash,
      sizeBytes: split.sizeBytes,
      chunkHashes: split.chunks.map((c) => c.hash),
    };
    this.hold({ manifest, bytes, from, round }, false);
    return manifest;
  }

  /** Holds merged weights so peers catching up can fetch them by merged hash. */
  pinMerged(
    mergedHash: string,
    bytes: Uint8Array,
    fields: Pick<UpdateManifest, 'kind' | 'samples' | 'baseCommitHash'>,
    round: number,
    self: string,
  ): void {
    const manifest = this.holdBytes(bytes, fields, self, round);
    this.held.get(manifest.updateHash)!.pinned = true;
    this.merged.set(mergedHash, manifest.updateHash);
  }

  unpinMerged(mergedHash: string): void {
    const updateHash = this.merged.get(mergedHash);
    this.merged.delete(mergedHash);
    const u = updateHash === undefined ? undefined : this.held.get(updateHash);
    if (u !== undefined) u.pinned = false;
  }

  get(updateHash: string): HeldUpdate | undefined {
    return this.held.get(updateHash);
  }

  /** Held updates of peers other than `self` for these rounds. */
  heldIn(rounds: readonly number[], self: string): HeldUpdate[] {
    return [...this.held.values()].filter((u) => u.from !== self && rounds.includes(u.round));
  }

  /** The manifest of a held update, or of merged weights by merged hash. */
  manifest(hash: string): UpdateManifest | undefined {
    return this.held.get(this.merged.get(hash) ?? hash)?.manifest;
  }

  /** A chunk of a held update, sliced from its bytes (every honest peer splits at MAX_CHUNK_BYTES). */
  chunk(hash: string): Uint8Array | undefined {
    const owner = this.chunkOwner.get(hash);
    const u = owner === undefined ? undefined : this.held.get(owner.updateHash);
    if (owner === undefined || u === undefined) return undefined;
    const part = u.bytes.subarray(owner.index * MAX_CHUNK_BYTES, (owner.index + 1) * MAX_CHUNK_BYTES);
    return sha256Hex(part) === hash ? part : undefined;
  }

  /** Starts assembling an announced update; false when it is already held or arriving. */
  expect(manifest: UpdateManifest, from: string, round: number, nowMs: number): boolean {
    if (this.held.has(manifest.updateHash) || this.arriving.has(manifest.updateHash)) return false;
    this.assembler.expect(manifest); // throws ChunkError for a manifest no honest peer sends
    const arrival = { manifest, from, round, lastProgressMs: nowMs, repairing: false };
    this.arriving.set(manifest.updateHash, arrival);
    return true;
  }

  /** Chunks an arriving update still lacks (none when it is not arriving). */
  missing(updateHash: string): MissingChunk[] {
    return this.arriving.has(updateHash) ? this.assembler.missing(updateHash) : [];
  }

  /** Adds a chunk; reports the updates it completed and those whose chunks did not hash to them. */
  addChunk(chunk: { hash: string; bytes: Uint8Array }, nowMs: number): ChunkOutcome {
    const result = this.assembler.add(chunk);
    if (result !== 'added') return { result };
    const completed: HeldUpdate[] = [];
    const corrupt: string[] = [];
    for (const a of [...this.arriving.values()]) {
      const hash = a.manifest.updateHash;
      if (!a.manifest.chunkHashes.includes(chunk.hash)) continue;
      a.lastProgressMs = nowMs;
      if (!this.assembler.isComplete(hash)) continue;
      try {
        const bytes = this.assembler.complete(hash);
        completed.push({ manifest: a.manifest, bytes, from: a.from, round: a.round });
      } catch (err) {
        if (!(err instanceof ChunkError)) throw err;
        corrupt.push(hash);
      }
      this.arriving.delete(hash);
      this.assembler.forget(hash);
    }
    completed.forEach((u) => this.hold(u, false));
    return { result, completed, corrupt };
  }

  /** Arrivals that made no progress for `afterMs` and are not being repaired; marks them as being repaired. */
  takeRepairs(nowMs: number, afterMs: number): Repair[] {
    const due = [...this.arriving.values()].filter(
      (a) => !a.repairing && nowMs - a.lastProgressMs >= afterMs,
    );
    return due.map((a) => {
      a.repairing = true;
      const { updateHash } = a.manifest;
      return { updateHash, from: a.from, missing: this.assembler.missing(updateHash) };
    });
  }

  /** A fetch of the missing chunks started outside the repair schedule (a pull): no repair while it runs. */
  fetching(updateHash: string): void {
    const a = this.arriving.get(updateHash);
    if (a !== undefined) a.repairing = true;
  }

  repairDone(updateHash: string, nowMs: number): void {
    const a = this.arriving.get(updateHash);
    if (a === undefined) return;
    a.repairing = false;
    a.lastProgressMs = nowMs;
  }

  /** Forgets updates and arrivals of rounds before `round`, except pinned merged weights. */
  prune(round: number): void {
    for (const [hash, u] of this.held) {
      if (u.round < round && !u.pinned) this.held.delete(hash);
    }
    for (const [hash, a] of this.arriving) {
      if (a.round >= round) continue;
      this.arriving.delete(hash);
      this.assembler.forget(hash);
    }
    for (const [chunkHash, owner] of this.chunkOwner) {
      if (!this.held.has(owner.updateHash)) this.chunkOwner.delete(chunkHash);
    }
  }

  private hold(u: HeldUpdate, pinned: boolean): void {
    const existing = this.held.get(u.manifest.updateHash);
    if (existing !== undefined) {
      existing.pinned ||= pinned;
      return;
    }
    this.held.set(u.manifest.updateHash, { ...u, pinned });
    u.manifest.chunkHashes.forEach((hash, index) => {
      if (!this.chunkOwner.has(hash)) this.chunkOwner.set(hash, { updateHash: u.manifest.updateHash, index });
    });
  }
}
