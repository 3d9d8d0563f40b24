import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { encodeTensors, hashTensors } from '../../src/core/index.js';
import {
  exportCheckpointFile,
  openCheckpoint,
  openStore,
  readCheckpointFile,
} from '../../src/storage/index.js';
import { checkpoint, folderBytes, keyOf, weightRunsFound, useTempDir } from './fixtures.js';

const key = keyOf('right');
const wrong = keyOf('wrong');

describe('checkpoints encrypted at rest', () => {
  const dir = useTempDir('rest');

  it("a copied database and .swck hold no run of the weights' bytes and no manifest text; the key opens both", async () => {
    const cps = [1, 2, 3].map((r) => checkpoint(`round-${r}`, r, { size: 4000 }));
    const store = await openStore(join(dir(), 'site'), { key });
    for (const c of cps)
      await store.putCheckpoint(c, {
        round: c.manifest.round!,
        hash: `h${c.manifest.round}`,
        bytes: Uint8Array.of(1),
      });
    await store.close();
    await exportCheckpointFile(cps[2], join(dir(), 'site.latest.swck'), key);
    await cp(join(dir(), 'site'), join(dir(), 'stolen'), { recursive: true });
    await cp(join(dir(), 'site.latest.swck'), join(dir(), 'stolen.swck'));

    const loot = Buffer.concat([
      await folderBytes(join(dir(), 'stolen')),
      await readFile(join(dir(), 'stolen.swck')),
    ]);
    // The search finds the weights where they are in the clear (control) ...
    expect(weightRunsFound(encodeTensors(cps[2].tensors), cps[2].tensors)).toBeGreaterThan(5000);
    // ... and not one 8-byte run of any checkpoint's weights in the copied files.
    for (const c of cps) expect(weightRunsFound(loot, c.tensors)).toBe(0);
    const text = loot.toString('latin1');
    for (const s of ['CLASS_QUOKKA', 'GENE_ZETA_1234', 'tensorsHash', cps[2].manifest.tensorsHash])
      expect(text).not.toContain(s);

    await expect(openCheckpoint(join(dir(), 'stolen'))).rejects.toMatchObject({
      code: 'CHECKPOINT_ENCRYPTED',
      message: expect.stringMatching(/is encrypted: pass --key with the swarm's key file/),
    });
    await expect(openCheckpoint(join(dir(), 'stolen.swck'))).rejects.toMatchObject({
      code: 'CHECKPOINT_ENCRYPTED',
    });
    const back = await openCheckpoint(join(dir(), 'stolen'), key);
    expect(back.manifest).toEqual(cps[2].manifest);
    expect(hashTensors(back.tensors)).toBe(cps[2].manifest.tensorsHash);
    expect((await readCheckpointFile(join(dir(), 'stolen.swck'), key)).manifest).toEqual(cps[2].manifest);
    expect((await openCheckpoint(`${join(dir(), 'stolen')}#round-1`, key)).manifest.round).toBe(1);
  });

  it('refuses a wrong key with a message that says the key does not match', async () => {
    const c = checkpoint('round-1', 1);
    const store = await openStore(join(dir(), 'site'), { key });
    await store.putCheckpoint(c);
    await store.close();
    await exportCheckpointFile(c, join(dir(), 'x.swck'), key);
    for (const where of [join(dir(), 'site'), join(dir(), 'x.swck')]) {
      await expect(openCheckpoint(where, wrong)).rejects.toMatchObject({
        code: 'KEY_MISMATCH',
        message: expect.stringMatching(
          new RegExp(
            `fingerprint ${wrong.fingerprint} does not match checkpoint round-1 .*encrypted under another key`,
          ),
        ),
      });
    }
  });

  it('a flipped bit anywhere in a .swck fails, never yields different weights or metadata', async () => {
    const file = join(dir(), 'x.swck');
    await exportCheckpointFile(checkpoint('round-1', 1, { size: 2 }), file, key);
    const good = await readFile(file);
    const codes = new Set<string>();
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] ^= 1 << (i % 8);
      await writeFile(join(dir(), 'bad.swck'), bad);
      const err = await readCheckpointFile(join(dir(), 'bad.swck'), key).then(
        () => null,
        (e: { code: string }) => e,
      );
      expect(err, `bit flip at byte ${i} was accepted`).not.toBeNull();
      codes.add(err!.code);
    }
    // Header flips are format errors, the key's fingerprint reads as another key; the rest fail authentication.
    expect([...codes].sort()).toEqual([
      'CHECKPOINT_AUTH',
      'CHECKPOINT_CORRUPT',
      'CHECKPOINT_FORMAT',
      'KEY_MISMATCH',
    ]);
    const flipped = Buffer.from(good);
    flipped[good.length - 40] ^= 0x04;
    await writeFile(join(dir(), 'bad.swck'), flipped);
    await expect(readCheckpointFile(join(dir(), 'bad.swck'), key)).rejects.toThrow(
      /checkpoint round-1 in .*bad\.swck failed its integrity check .*damaged or altered/,
    );
  });

  it('a flipped bit in a stored value, or a value moved to another id, fails authentication naming the checkpoint', async () => {
    const path = join(dir(), 'site');
    const store = await openStore(path, { key });
    await store.putCheckpoint(checkpoint('round-1', 1));
    await store.putCheckpoint(checkpoint('round-2', 2));
    await store.close();
    const raw = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
    const sub = raw.sublevel<string, Uint8Array>('checkpoints', { valueEncoding: 'view' });
    const value = (await sub.get('round-2'))!;
    const flipped = Uint8Array.from(value);
    flipped[value.length - 100] ^= 0x10;
    await sub.put('round-2', flipped);
    await sub.put('round-1', value);
    await raw.close();
    const reopened = await openStore(path, { key });
    try {
      await expect(reopened.getCheckpoint('round-2')).rejects.toMatchObject({
        code: 'CHECKPOINT_AUTH',
        message: expect.stringMatching(/checkpoint round-2 in database .* failed its integrity check/),
      });
      await expect(reopened.getCheckpoint('round-1')).rejects.toMatchObject({ code: 'CHECKPOINT_AUTH' });
    } finally {
      await reopened.close();
    }
  });

  it('seals each write with a fresh nonce: the same checkpoint twice gives different bytes', async () => {
    const c = checkpoint('round-1', 1);
    await exportCheckpointFile(c, join(dir(), 'a.swck'), key);
    await exportCheckpointFile(c, join(dir(), 'b.swck'), key);
    const [a, b] = [await readFile(join(dir(), 'a.swck')), await readFile(join(dir(), 'b.swck'))];
    expect(a.length).toBe(b.length);
    expect(a.equals(b)).toBe(false);
    expect(await readdir(dir())).toEqual(['a.swck', 'b.swck']);
  });
});
