import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { hashTensors, type NamedTensors } from '../../src/core/index.js';
import { modelKeyFromBytes, type ModelKey } from '../../src/inr/index.js';
import type { Checkpoint } from '../../src/storage/index.js';

export const keyOf = (tag: string): ModelKey =>
  modelKeyFromBytes(createHash('sha256').update(`store test key ${tag}`).digest());

/** Deterministic floats that no file would hold by chance (a seeded xorshift, scaled). */
export function distinctiveFloats(n: number, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32 - 0.5) * 0.2;
  });
}

export function checkpoint(
  id: string,
  round: number | null,
  o: { key?: ModelKey; size?: number } = {},
): Checkpoint {
  const size = o.size ?? 6;
  const tensors: NamedTensors = new Map([
    ['dense/kernel', { shape: [size, 3], data: distinctiveFloats(size * 3, (round ?? 0) + 7) }],
    ['dense/bias', { shape: [3], data: Float32Array.from([0.5, -0.25, 1e-7]) }],
  ]);
  return {
    manifest: {
      format: 'swarmd-checkpoint',
      version: 1,
      id,
      round,
      createdAt: '2026-11-23T00:00:00.000Z',
      modelConfig: { arch: 'mlp' },
      keyFingerprint: (o.key ?? keyOf('right')).fingerprint,
      tensorsHash: hashTensors(tensors),
      tensors: [],
      preprocessing: { featureNames: ['GENE_ZETA_1234'], means: [14.25] },
      classNames: ['CLASS_QUOKKA', 'CLASS_WOMBAT'],
      metrics: { testAccuracy: 0.9 },
    },
    tensors,
  };
}

/**
 * How many 8-byte runs of `tensors`' float32 (little-endian) bytes occur anywhere in `haystack`, counting
 * every run that starts at a float boundary: every float of the weights is covered by two runs. Runs of
 * two equal floats (zeros, constant initialisations) are left out: they say nothing about the model.
 */
export function weightRunsFound(haystack: Uint8Array, tensors: NamedTensors): number {
  const runs = new Set<bigint>();
  for (const { data } of tensors.values()) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i + 8 <= bytes.length; i += 4)
      if (view.getUint32(i, true) !== view.getUint32(i + 4, true)) runs.add(view.getBigUint64(i, true));
  }
  const view = new DataView(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  let found = 0;
  for (let i = 0; i + 8 <= haystack.length; i++) if (runs.has(view.getBigUint64(i, true))) found++;
  return found;
}

/** Every byte of every file under `dir`, concatenated (a copy of the folder as a thief gets it). */
export async function folderBytes(dir: string): Promise<Uint8Array> {
  const parts: Buffer[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) parts.push(await readFile(join(e.parentPath ?? e.path, e.name)));
  }
  return Buffer.concat(parts);
}

/** A fresh temp folder per test, removed after it: `const dir = useTempDir('x'); … dir()`. */
export function useTempDir(prefix: string): () => string {
  let dir = '';
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), `swarmd-${prefix}-`))));
  afterEach(() => rm(dir, { recursive: true, force: true }));
  return () => dir;
}
