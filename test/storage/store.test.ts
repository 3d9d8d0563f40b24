import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashTensors, type NamedTensors } from '../../src/core/index.js';
import {
  exportCheckpointFile,
  openCheckpoint,
  openStore,
  readCheckpointFile,
  type Checkpoint,
} from '../../src/storage/index.js';

function checkpoint(id: string, round: number | null, scale = 1): Checkpoint {
  const tensors: NamedTensors = new Map([
    ['dense/kernel', { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6], (v) => v * scale) }],
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
      keyFingerprint: 'ab'.repeat(16),
      tensorsHash: hashTensors(tensors),
      tensors: [],
      preprocessing: null,
      classNames: ['a', 'b'],
      metrics: { testAccuracy: 0.9 },
    },
    tensors,
  };
}

describe('LevelDB store', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'swarmd-store-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('round-trips a checkpoint byte for byte and reopens after close', async () => {
    const cp = checkpoint('c1', null);
    let store = await openStore(join(dir, 'db'));
    await store.putCheckpoint(cp);
    await store.close();
    store = await openStore(join(dir, 'db'));
    const back = (await store.latestCheckpoint())!;
    expect(back.manifest).toEqual(cp.manifest);
    expect(hashTensors(back.tensors)).toBe(cp.manifest.tensorsHash);
    expect(back.tensors.get('dense/bias')!.data[2]).toBe(Math.fround(1e-7));
    await store.close();
  });

  it('writes a checkpoint and its round-log entry together and serves the log in order', async () => {
    const store = await openStore(join(dir, 'db'));
    for (const r of [1, 2, 10]) {
      await store.putCheckpoint(checkpoint(`round-${r}`, r, r), {
        round: r,
        hash: `h${r}`,
        bytes: Uint8Array.of(r),
      });
    }
    expect((await store.getLog()).map((e) => e.round)).toEqual([1, 2, 10]);
    expect((await store.getLog(2)).map((e) => e.hash)).toEqual(['h2', 'h10']);
    expect((await store.lastLogEntry())!.bytes).toEqual(Uint8Array.of(10));
    expect((await store.latestCheckpoint())!.manifest.id).toBe('round-10');
    expect((await store.listCheckpoints()).length).toBe(3);
    await store.close();
  });

  it('refuses to store tensors that do not match the manifest hash', async () => {
    const store = await openStore(join(dir, 'db'));
    const cp = checkpoint('bad', null);
    cp.tensors.get('dense/bias')!.data[0] = 9;
    await expect(store.putCheckpoint(cp)).rejects.toThrow(/do not match/);
    expect(await store.latestCheckpoint()).toBeUndefined();
    await store.close();
  });

  it('creates the database folder, and any missing parent, owner-only (0700) under any umask', async () => {
    const old = process.umask(0);
    let store;
    try {
      store = await openStore(join(dir, 'sites', 'db'));
    } finally {
      process.umask(old);
    }
    await store.putIdentity(new Uint8Array([1, 2, 3]));
    await store.close();
    const modes = await Promise.all(
      [join(dir, 'sites'), join(dir, 'sites', 'db')].map(async (p) =>
        ((await stat(p)).mode & 0o777).toString(8),
      ),
    );
    expect(modes).toEqual(['700', '700']);
  });

  it('reports a locked database clearly', async () => {
    const store = await openStore(join(dir, 'db'));
    await expect(openStore(join(dir, 'db'))).rejects.toMatchObject({ code: 'STORE_LOCKED' });
    await store.close();
  });

  it('exports a portable file, and detects a flipped byte instead of using it', async () => {
    const cp = checkpoint('c1', 3);
    const file = join(dir, 'model.swck');
    await exportCheckpointFile(cp, file);
    expect(hashTensors((await readCheckpointFile(file)).tensors)).toBe(cp.manifest.tensorsHash);
    const bytes = await readFile(file);
    bytes[bytes.length - 5] ^= 0xff;
    await writeFile(join(dir, 'flipped.swck'), bytes);
    await expect(openCheckpoint(join(dir, 'flipped.swck'))).rejects.toMatchObject({
      code: 'CHECKPOINT_CORRUPT',
    });
    await writeFile(join(dir, 'short.swck'), bytes.subarray(0, 40));
    await expect(openCheckpoint(join(dir, 'short.swck'))).rejects.toThrow(/truncated|corrupt/);
    await expect(openCheckpoint(join(dir, 'none'))).rejects.toMatchObject({ code: 'CHECKPOINT_MISSING' });
  });

  it('keeps the secret key out of stored and exported checkpoints (only the fingerprint)', async () => {
    const file = join(dir, 'model.swck');
    await exportCheckpointFile(checkpoint('c1', null), file);
    const text = (await readFile(file)).toString('latin1');
    expect(text).toContain('"keyFingerprint"');
    expect(text).not.toMatch(/"key"\s*:/);
  });
});
