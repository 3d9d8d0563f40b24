import { createHash } from 'node:crypto';
import { SwarmdError } from '../../core/index.js';
import { MAX_CHUNK_BYTES } from './wire.js';

/*
 * Content-addressed chunks of an update: each chunk is named by its SHA-256, the update by the SHA-256 of
 * its whole bytes. Chunks are pooled by hash, so identical chunks (zero regions, a re-sent update) are held
 * once, and a chunk is accepted only if an expected update needs it.
 */
export interface Chunk {
  hash: string;
  index: number;
  bytes: Uint8Array;
}

export interface SplitUpdate {
  hash: string;
  sizeBytes: number;
  chunks: Chunk[];
}

/** What the assembler needs of an update manifest. */
export interface ExpectedUpdate {
  updateHash: string;
  sizeBytes: number;
  chunkHashes: readonly string[];
}

export interface MissingChunk {
  updateHash: string;
  hash: string;
  index: number;
}

export type AddResult = 'added' | 'duplicate' | 'unexpected' | 'corrupt';

/** Codes: CHUNK_MANIFEST_INVALID, CHUNK_INCOMPLETE, CHUNK_UPDATE_MISMATCH, CHUNK_NOT_EXPECTED. */
export class ChunkError extends SwarmdError {}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Splits `bytes` into ≤ maxChunkBytes views (no copies); an empty update is one empty chunk. */
export function splitIntoChunks(bytes: Uint8Array, maxChunkBytes = MAX_CHUNK_BYTES): SplitUpdate {
  if (!Number.isInteger(maxChunkBytes) || maxChunkBytes <= 0) {
    throw new ChunkError(
      'CHUNK_MANIFEST_INVALID',
      `chunk size must be a positive integer, got ${maxChunkBytes}`,
    );
  }
  const count = Math.max(1, Math.ceil(bytes.length / maxChunkBytes));
  const chunks = Array.from({ length: count }, (_, index) => {
    const part = bytes.subarray(index * maxChunkBytes, (index + 1) * maxChunkBytes);
    return { hash: sha256Hex(part), index, bytes: part };
  });
  return { hash: sha256Hex(bytes), sizeBytes: bytes.length, chunks };
}

/** Collects the chunks of expected updates from any source, in any order; pure (no I/O, no timers). */
export class ChunkAssembler {
  private readonly expected = new Map<string, ExpectedUpdate>();
  private readonly needed = new Map<string, number>(); // chunk hash → how many expected updates list it
  private readonly pool = new Map<string, Uint8Array>();
  private readonly maxChunkBytes: number;
  private readonly maxUpdateBytes: number;

  constructor(opts: { maxChunkBytes?: number; maxUpdateBytes?: number } = {}) {
    this.maxChunkBytes = opts.maxChunkBytes ?? MAX_CHUNK_BYTES;
    this.maxUpdateBytes = opts.maxUpdateBytes ?? 1024 * MAX_CHUNK_BYTES;
  }

  /** Registers an update to assemble; throws CHUNK_MANIFEST_INVALID for a manifest no honest peer sends. */
  expect(manifest: ExpectedUpdate): void {
    if (this.expected.has(manifest.updateHash)) return;
    const { sizeBytes, chunkHashes } = manifest;
    const possible =
      sizeBytes <= this.maxUpdateBytes &&
      chunkHashes.length >= Math.max(1, Math.ceil(sizeBytes / this.maxChunkBytes)) &&
      chunkHashes.length <= Math.max(1, sizeBytes);
    if (!possible) {
      throw new ChunkError(
        'CHUNK_MANIFEST_INVALID',
        `update ${manifest.updateHash}: ${chunkHashes.length} chunks cannot hold ${sizeBytes} bytes within limits`,
      );
    }
    this.expected.set(manifest.updateHash, { ...manifest, chunkHashes: [...chunkHashes] });
    for (const h of new Set(chunkHashes)) this.needed.set(h, (this.needed.get(h) ?? 0) + 1);
  }

  /** Stores a chunk some expected update needs, after checking its size and hash. Copies the bytes. */
  add(chunk: { hash: string; bytes: Uint8Array }): AddResult {
    if (!this.needed.has(chunk.hash)) return 'unexpected';
    if (this.pool.has(chunk.hash)) return 'duplicate';
    if (chunk.bytes.length > this.maxChunkBytes || sha256Hex(chunk.bytes) !== chunk.hash) return 'corrupt';
    this.pool.set(chunk.hash, new Uint8Array(chunk.bytes)); // a copy: Buffer.slice would alias
    return 'added';
  }

  /** Chunks still to fetch, for one update or for all expected ones. */
  missing(updateHash?: string): MissingChunk[] {
    const updates = updateHash === undefined ? [...this.expected.values()] : [this.get(updateHash)];
    return updates.flatMap((u) =>
      u.chunkHashes.flatMap((hash, index) =>
        this.pool.has(hash) ? [] : [{ updateHash: u.updateHash, hash, index }],
      ),
    );
  }

  isComplete(updateHash: string): boolean {
    return this.get(updateHash).chunkHashes.every((h) => this.pool.has(h));
  }

  /** The update's bytes, checked against its size and hash; throws CHUNK_INCOMPLETE / CHUNK_UPDATE_MISMATCH. */
  complete(updateHash: string): Uint8Array {
    const u = this.get(updateHash);
    const missing = this.missing(updateHash).length;
    if (missing > 0)
      throw new ChunkError('CHUNK_INCOMPLETE', `update ${updateHash} still lacks ${missing} chunks`);
    const parts = u.chunkHashes.map((h) => this.pool.get(h)!);
    const total = parts.reduce((n, p) => n + p.length, 0);
    if (total !== u.sizeBytes) {
      throw new ChunkError(
        'CHUNK_UPDATE_MISMATCH',
        `update ${updateHash} is ${total} bytes, manifest says ${u.sizeBytes}`,
      );
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    if (sha256Hex(out) !== updateHash) {
      throw new ChunkError(
        'CHUNK_UPDATE_MISMATCH',
        `chunks of update ${updateHash} do not hash to it: the sender is faulty`,
      );
    }
    return out;
  }

  /** Stops expecting an update and frees the chunks no other expected update needs. */
  forget(updateHash: string): void {
    const u = this.expected.get(updateHash);
    if (u === undefined) return;
    this.expected.delete(updateHash);
    for (const h of new Set(u.chunkHashes)) {
      const left = (this.needed.get(h) ?? 1) - 1;
      if (left > 0) this.needed.set(h, left);
      else {
        this.needed.delete(h);
        this.pool.delete(h);
      }
    }
  }

  private get(updateHash: string): ExpectedUpdate {
    const u = this.expected.get(updateHash);
    if (u === undefined)
      throw new ChunkError('CHUNK_NOT_EXPECTED', `update ${updateHash} was never expected`);
    return u;
  }
}
