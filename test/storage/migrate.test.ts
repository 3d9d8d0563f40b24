import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { encodeTensors, hashTensors } from '../../src/core/index.js';
import {
  migrateCheckpointFile,
  migrateStore,
  openCheckpoint,
  openStore,
  type Checkpoint,
} from '../../src/storage/index.js';
import { checkpoint, folderBytes, keyOf, weightRunsFound, useTempDir } from './fixtures.js';

const key = keyOf('right');

/** A database as swarmd schema 1 wrote it: plain manifest and tensor values, version "1". */
async function writeV1Database(path: string, cps: Checkpoint[]): Promise<void> {
  const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
  const sub = (name: string) => db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' });
  const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  await sub('meta').put('version', text('1'));
  await sub('identity').put('private-key', Uint8Array.of(1, 2, 3));
  for (const cp of cps) {
    await sub('checkpoints').put(`${cp.manifest.id}!manifest`, text(cp.manifest));
    await sub('checkpoints').put(`${cp.manifest.id}!tensors`, encodeTensors(cp.tensors));
  }
  await sub('meta').put('latest-checkpoint', text(cps.at(-1)!.manifest.id));
  await db.close();
}

/** "SWCK1\n" | u32 LE manifest length | manifest JSON | tensors, as schema 1 exported. */
function v1File(cp: Checkpoint): Buffer {
  const manifest = Buffer.from(JSON.stringify(cp.manifest));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(manifest.length);
  return Buffer.concat([Buffer.from('SWCK1\n'), len, manifest, encodeTensors(cp.tensors)]);
}

describe('databases and files from before encryption', () => {
  const dir = useTempDir('migrate');

  it('refuses an unencrypted database with the migrate command, which seals it in place and leaves no plain weights', async () => {
    const path = join(dir(), 'old');
    const cps = [1, 2].map((r) => checkpoint(`round-${r}`, r, { size: 3000 }));
    await writeV1Database(path, cps);
    expect(weightRunsFound(await folderBytes(path), cps[1].tensors)).toBeGreaterThan(1000);
    await expect(openStore(path, { key })).rejects.toMatchObject({
      code: 'STORE_UNENCRYPTED',
      message: expect.stringContaining(`run \`swarmd migrate --db ${path} --key <key file>\``),
    });

    await expect(migrateStore(path, keyOf('wrong'))).rejects.toMatchObject({ code: 'KEY_MISMATCH' });
    expect(await migrateStore(path, key)).toBe(2);
    for (const cp of cps) expect(weightRunsFound(await folderBytes(path), cp.tensors)).toBe(0);
    const store = await openStore(path, { key });
    expect(await store.checkpointIds()).toEqual(['round-1', 'round-2']);
    expect(hashTensors((await store.latestCheckpoint())!.tensors)).toBe(cps[1].manifest.tensorsHash);
    expect(Array.from((await store.getIdentity())!)).toEqual([1, 2, 3]);
    await store.close();
    expect(await migrateStore(path, key)).toBe(0);
  });

  it('refuses an unencrypted .swck with the migrate command, which rewrites it sealed', async () => {
    const file = join(dir(), 'old.swck');
    const cp = checkpoint('round-4', 4, { size: 500 });
    await writeFile(file, v1File(cp));
    await expect(openCheckpoint(file, key)).rejects.toMatchObject({
      code: 'CHECKPOINT_UNENCRYPTED',
      message: expect.stringContaining(`run \`swarmd migrate --checkpoint ${file} --key <key file>\``),
    });
    await migrateCheckpointFile(file, key);
    expect(weightRunsFound(await readFile(file), cp.tensors)).toBe(0);
    expect((await openCheckpoint(file, key)).manifest).toEqual(cp.manifest);
  });
});
