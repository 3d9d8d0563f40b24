import { statSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import {
  createRoundLog,
  directoryBytes,
  openCheckpoint,
  openStore,
  removeStaleExports,
  type LogEntry,
} from '../../src/storage/index.js';
import { checkpoint, keyOf, useTempDir } from './fixtures.js';

const key = keyOf('right');
const log = (round: number) => ({ round, hash: `h${round}`, bytes: Uint8Array.of(round) });

describe('disk hygiene', () => {
  const dir = useTempDir('hygiene');

  it('keeps the newest keepCheckpoints checkpoints, deleting older ones in the same write', async () => {
    const store = await openStore(join(dir(), 'db'), { key, keepCheckpoints: 3 });
    for (let r = 1; r <= 7; r++) await store.putCheckpoint(checkpoint(`round-${r}`, r), log(r));
    expect(await store.checkpointIds()).toEqual(['round-5', 'round-6', 'round-7']);
    expect((await store.getLog()).map((e) => e.round)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await store.latestCheckpoint())!.manifest.id).toBe('round-7');
    await store.close();
  });

  it('shrinks the folder too: deleted checkpoints are compacted out of the LevelDB files', async () => {
    const store = await openStore(join(dir(), 'db'), { key, keepCheckpoints: 2 });
    for (let r = 1; r <= 12; r++)
      await store.putCheckpoint(checkpoint(`round-${r}`, r, { size: 20_000 }), log(r));
    await store.close();
    const oneCheckpoint = 20_000 * 3 * 4;
    expect(await directoryBytes(join(dir(), 'db'))).toBeLessThan(3.5 * oneCheckpoint);
  });

  it('applies retention and sealing to checkpoints the round log writes with its segments', async () => {
    const store = await openStore(join(dir(), 'db'), { key, keepCheckpoints: 2 });
    const rounds = createRoundLog(store);
    let prevHash: string | null = null;
    for (let r = 0; r <= 5; r++) {
      const entry: LogEntry = { round: r, hash: `h${r}`, prevHash, bytes: Uint8Array.of(r) };
      await rounds.append(
        [entry],
        r === 0 ? { meta: { stats: 1 } } : { checkpoint: checkpoint(`round-${r}`, r) },
      );
      prevHash = entry.hash;
    }
    expect(await store.checkpointIds()).toEqual(['round-4', 'round-5']);
    expect((await store.latestCheckpoint())!.manifest.round).toBe(5);
    expect((await rounds.verify()).ok).toBe(true);
    await store.close();
    const keyless = await openStore(join(dir(), 'db'));
    await expect(keyless.latestCheckpoint()).rejects.toMatchObject({ code: 'CHECKPOINT_ENCRYPTED' });
    await keyless.close();
  });

  it('never drops the checkpoint the latest commit applied, even when newer ones exceed the limit', async () => {
    const store = await openStore(join(dir(), 'db'), { key, keepCheckpoints: 1 });
    await store.putCheckpoint(checkpoint('round-1', 1), log(1));
    await store.putCheckpoint(checkpoint('round-2', 2), log(2));
    await store.putCheckpoint(checkpoint('round-3a', 3));
    await store.putCheckpoint(checkpoint('round-3b', 3));
    expect(await store.checkpointIds()).toEqual(['round-2', 'round-3b']);
    expect((await store.getCheckpoint('round-2'))!.manifest.round).toBe(2);
    await store.close();
  });

  it('keeps every checkpoint when no limit is set (swarmd train)', async () => {
    const store = await openStore(join(dir(), 'db'), { key });
    for (let r = 1; r <= 7; r++) await store.putCheckpoint(checkpoint(`round-${r}`, r), log(r));
    expect((await store.checkpointIds()).length).toBe(7);
    await store.close();
  });

  it("removes a killed export's stale .tmp-<pid> files, and only those", async () => {
    const names = [
      'site.latest.swck',
      'site.latest.swck.tmp-12345',
      'site.latest.swck.tmp-99',
      `site.latest.swck.tmp-${process.pid}`,
      'site.latest.swck.tmp-notapid',
      'other.swck.tmp-12345',
    ];
    for (const n of names) await writeFile(join(dir(), n), 'x');
    const removed = await removeStaleExports(join(dir(), 'site.latest.swck'));
    expect(removed.sort()).toEqual(['site.latest.swck.tmp-12345', 'site.latest.swck.tmp-99']);
    expect((await readdir(dir())).sort()).toEqual(names.filter((n) => !removed.includes(n)).sort());
    expect(await removeStaleExports(join(dir(), 'missing', 'x.swck'))).toEqual([]);
  });

  it('measures the data directory as the sum of its file sizes', async () => {
    const store = await openStore(join(dir(), 'db'), { key });
    await store.putCheckpoint(checkpoint('round-1', 1, { size: 3000 }));
    await store.close();
    const sum = (await readdir(join(dir(), 'db'))).reduce(
      (s, n) => s + statSync(join(dir(), 'db', n)).size,
      0,
    );
    expect(sum).toBeGreaterThan(36_000);
    expect(await directoryBytes(join(dir(), 'db'))).toBe(sum);
    expect(await directoryBytes(join(dir(), 'nothing'))).toBe(0);
  });

  it('refuses a folder that is not a swarmd database without writing to it', async () => {
    const plain = join(dir(), 'plain');
    await mkdir(plain);
    await writeFile(join(plain, 'data.csv'), 'a,b\n');
    await expect(openCheckpoint(plain, key)).rejects.toMatchObject({
      code: 'NOT_A_DATABASE',
      message: expect.stringMatching(/plain is not a swarmd database \(no LevelDB files there\)/),
    });
    expect(await readdir(plain)).toEqual(['data.csv']);
    await mkdir(join(dir(), 'empty'));
    await expect(openStore(join(dir(), 'empty'), { mustExist: true })).rejects.toMatchObject({
      code: 'NOT_A_DATABASE',
    });
    expect(await readdir(join(dir(), 'empty'))).toEqual([]);
  });

  it('refuses a LevelDB database that swarmd did not write, and leaves it without a swarmd schema', async () => {
    const foreign = new Level(join(dir(), 'foreign'));
    await foreign.put('hello', 'world');
    await foreign.close();
    await expect(openCheckpoint(join(dir(), 'foreign'), key)).rejects.toThrow(
      /foreign is not a swarmd database \(a LevelDB database without a swarmd schema version\)/,
    );
    const again = new Level(join(dir(), 'foreign'));
    expect(await again.keys().all()).toEqual(['hello']);
    await again.close();
  });
});
