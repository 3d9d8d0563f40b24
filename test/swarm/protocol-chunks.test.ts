import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ChunkAssembler,
  ChunkError,
  MAX_CHUNK_BYTES,
  splitIntoChunks,
} from '../../src/swarm/protocol/index.js';

const MiB = 1024 * 1024;
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const blob = new Uint8Array(randomBytes(2.5 * MiB));
const split = splitIntoChunks(blob);
const manifest = {
  updateHash: split.hash,
  sizeBytes: split.sizeBytes,
  chunkHashes: split.chunks.map((c) => c.hash),
};

function chunkError(fn: () => unknown): ChunkError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ChunkError) return err;
    throw err;
  }
  throw new Error('expected a ChunkError');
}

describe('content-addressed chunks', () => {
  it('splits 2.5 MiB into 3 chunks of at most 1 MiB named by their SHA-256', () => {
    expect(MAX_CHUNK_BYTES).toBe(MiB);
    expect(split.chunks.map((c) => c.bytes.length)).toEqual([MiB, MiB, 0.5 * MiB]);
    expect(split.chunks.map((c) => c.index)).toEqual([0, 1, 2]);
    for (const c of split.chunks) expect(c.hash).toBe(sha(c.bytes));
    expect(split.hash).toBe(sha(blob));
    expect(split.sizeBytes).toBe(blob.length);
  });

  it('splits an empty update into one empty chunk and an exact multiple without a tail', () => {
    expect(splitIntoChunks(new Uint8Array(0)).chunks.map((c) => c.bytes.length)).toEqual([0]);
    expect(splitIntoChunks(new Uint8Array(2 * MiB)).chunks.length).toBe(2);
  });

  it('reassembles the chunks in any order', () => {
    for (const order of [
      [2, 0, 1],
      [1, 2, 0],
      [0, 1, 2],
    ]) {
      const asm = new ChunkAssembler();
      asm.expect(manifest);
      for (const i of order) expect(asm.add(split.chunks[i])).toBe('added');
      expect(asm.isComplete(split.hash)).toBe(true);
      expect(Buffer.from(asm.complete(split.hash)).equals(blob)).toBe(true);
    }
  });

  it('lists exactly the missing chunks', () => {
    const asm = new ChunkAssembler();
    asm.expect(manifest);
    expect(asm.missing(split.hash).map((m) => m.index)).toEqual([0, 1, 2]);
    asm.add(split.chunks[1]);
    expect(asm.missing(split.hash)).toEqual([
      { updateHash: split.hash, hash: split.chunks[0].hash, index: 0 },
      { updateHash: split.hash, hash: split.chunks[2].hash, index: 2 },
    ]);
    expect(asm.missing()).toEqual(asm.missing(split.hash));
    expect(chunkError(() => asm.complete(split.hash)).code).toBe('CHUNK_INCOMPLETE');
  });

  it('rejects a corrupted chunk and accepts the good one after it', () => {
    const asm = new ChunkAssembler();
    asm.expect(manifest);
    const bad = new Uint8Array(split.chunks[0].bytes);
    bad[12345] ^= 0xff;
    expect(asm.add({ hash: split.chunks[0].hash, bytes: bad })).toBe('corrupt');
    expect(asm.missing(split.hash).map((m) => m.index)).toEqual([0, 1, 2]);
    expect(asm.add(split.chunks[0])).toBe('added');
    expect(asm.add(split.chunks[0])).toBe('duplicate');
  });

  it('ignores chunks no expected update needs', () => {
    const asm = new ChunkAssembler();
    expect(asm.add(split.chunks[0])).toBe('unexpected');
    asm.expect(manifest);
    asm.forget(split.hash);
    expect(asm.add(split.chunks[0])).toBe('unexpected');
    expect(chunkError(() => asm.missing(split.hash)).code).toBe('CHUNK_NOT_EXPECTED');
  });

  it('holds a repeated chunk once and reassembles it at every index', () => {
    const zeros = new Uint8Array(3 * MiB);
    const z = splitIntoChunks(zeros);
    expect(new Set(z.chunks.map((c) => c.hash)).size).toBe(1);
    const asm = new ChunkAssembler();
    asm.expect({ updateHash: z.hash, sizeBytes: z.sizeBytes, chunkHashes: z.chunks.map((c) => c.hash) });
    expect(asm.add(z.chunks[2])).toBe('added');
    expect(Buffer.from(asm.complete(z.hash)).equals(zeros)).toBe(true);
  });

  it('refuses an update whose chunks do not hash to the manifest', () => {
    const asm = new ChunkAssembler();
    const lying = { ...manifest, updateHash: 'e'.repeat(64) };
    asm.expect(lying);
    for (const c of split.chunks) asm.add(c);
    expect(chunkError(() => asm.complete(lying.updateHash)).code).toBe('CHUNK_UPDATE_MISMATCH');
    const wrongSize = new ChunkAssembler();
    wrongSize.expect({ ...manifest, sizeBytes: manifest.sizeBytes - 1 });
    for (const c of split.chunks) wrongSize.add(c);
    expect(chunkError(() => wrongSize.complete(split.hash)).code).toBe('CHUNK_UPDATE_MISMATCH');
  });

  it('refuses a manifest no honest peer sends', () => {
    const asm = new ChunkAssembler({ maxUpdateBytes: 4 * MiB });
    const tooFew = { ...manifest, chunkHashes: manifest.chunkHashes.slice(0, 2) };
    expect(chunkError(() => asm.expect(tooFew)).code).toBe('CHUNK_MANIFEST_INVALID');
    expect(chunkError(() => asm.expect({ ...manifest, sizeBytes: 5 * MiB })).code).toBe(
      'CHUNK_MANIFEST_INVALID',
    );
    expect(chunkError(() => asm.expect({ ...manifest, sizeBytes: 2 })).code).toBe('CHUNK_MANIFEST_INVALID');
  });

  it('keeps a chunk shared by two updates until both are forgotten', () => {
    const asm = new ChunkAssembler();
    const other = { updateHash: 'd'.repeat(64), sizeBytes: MiB, chunkHashes: [split.chunks[0].hash] };
    asm.expect(manifest);
    asm.expect(other);
    asm.add(split.chunks[0]);
    asm.forget(split.hash);
    expect(asm.isComplete(other.updateHash)).toBe(true);
    asm.forget(other.updateHash);
    expect(asm.add(split.chunks[0])).toBe('unexpected');
  });
});
