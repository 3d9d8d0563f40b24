import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { describe, expect, it } from 'vitest';
import { writeKeyFile } from '../../src/inr/index.js';
import { migrateCheckpoints } from '../../src/node/index.js';
import { migrateIdentity, openStore } from '../../src/storage/index.js';
import { generateIdentity, identityFromBytes, identityToBytes, peerIdOf } from '../../src/swarm/index.js';
import { folderBytes, keyOf, useTempDir } from './fixtures.js';

const key = keyOf('right');

/** The 32-byte Ed25519 seed inside libp2p's protobuf private key (field 2: seed ‖ public key). */
function seedOf(protobuf: Uint8Array): Buffer {
  // 08 01 (type Ed25519) 12 40 (64 bytes follow): the seed is the first half of those 64.
  expect(Array.from(protobuf.subarray(0, 4))).toEqual([0x08, 0x01, 0x12, 0x40]);
  return Buffer.from(protobuf.subarray(4, 36));
}

const holds = (haystack: Uint8Array, needle: Buffer) => Buffer.from(haystack).includes(needle);

/**
 * A site database as swarmd wrote it before the identity was sealed: schema version 2 and the raw libp2p
 * key in the `identity` sublevel (what `openStore(dir)` + `putIdentity(bytes)` stored).
 */
async function writeRawIdentityDatabase(path: string, raw: Uint8Array): Promise<void> {
  await mkdir(path, { recursive: true, mode: 0o700 });
  const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
  const sub = (name: string) => db.sublevel<string, Uint8Array>(name, { valueEncoding: 'view' });
  await sub('meta').put('version', new TextEncoder().encode(JSON.stringify('2')));
  await sub('identity').put('private-key', raw);
  await db.close();
}

describe('the peer identity at rest', () => {
  const dir = useTempDir('identity');

  it('a copied data folder without the key file yields no signing key; the key opens it, a wrong key is named', async () => {
    const identity = identityToBytes(await generateIdentity());
    const site = join(dir(), 'site');
    const store = await openStore(site, { key });
    await store.putIdentity(identity);
    await store.close();
    await cp(site, join(dir(), 'stolen'), { recursive: true });

    // Not one copy of the 32-byte private seed anywhere in the copied files.
    expect(holds(await folderBytes(join(dir(), 'stolen')), seedOf(identity))).toBe(false);
    const thief = await openStore(join(dir(), 'stolen'), { mustExist: true });
    await expect(thief.getIdentity()).rejects.toMatchObject({
      code: 'IDENTITY_SEALED',
      message: expect.stringMatching(/sealed under the swarm's model key: pass the key file/),
    });
    await expect(thief.putIdentity(identity)).rejects.toMatchObject({ code: 'IDENTITY_SEALED' });
    await thief.close();
    const wrong = await openStore(join(dir(), 'stolen'), { key: keyOf('wrong') });
    await expect(wrong.getIdentity()).rejects.toMatchObject({
      code: 'KEY_MISMATCH',
      message: expect.stringContaining('the peer identity in database'),
    });
    await wrong.close();
    const owner = await openStore(join(dir(), 'stolen'), { key });
    expect(peerIdOf(identityFromBytes((await owner.getIdentity())!))).toBe(
      peerIdOf(identityFromBytes(identity)),
    );
    await owner.close();
  });

  it('refuses a sealed identity with a flipped byte instead of using it', async () => {
    const path = join(dir(), 'site');
    const store = await openStore(path, { key });
    await store.putIdentity(identityToBytes(await generateIdentity()));
    await store.close();
    const db = new Level<string, Uint8Array>(path, { valueEncoding: 'view' });
    const sub = db.sublevel<string, Uint8Array>('identity', { valueEncoding: 'view' });
    const sealed = Buffer.from((await sub.get('private-key'))!);
    expect(sealed.subarray(0, 4).toString('latin1')).toBe('SWI1');
    sealed[40] ^= 0x01;
    await sub.put('private-key', sealed);
    await db.close();
    const reopened = await openStore(path, { key });
    await expect(reopened.getIdentity()).rejects.toMatchObject({ code: 'IDENTITY_AUTH' });
    await reopened.close();
  });

  it('seals the raw identity of an older database on its first open with the key, keeping the peer id', async () => {
    const raw = identityToBytes(await generateIdentity());
    const path = join(dir(), 'old');
    await writeRawIdentityDatabase(path, raw);
    expect(holds(await folderBytes(path), seedOf(raw))).toBe(true); // the search finds it in the clear

    // A reader without the key (log verify) changes nothing and is not handed the raw key either.
    const reader = await openStore(path, { mustExist: true });
    await expect(reader.getIdentity()).rejects.toMatchObject({ code: 'IDENTITY_SEALED' });
    await reader.close();
    expect(holds(await folderBytes(path), seedOf(raw))).toBe(true);

    const store = await openStore(path, { key });
    const opened = (await store.getIdentity())!;
    await store.close();
    expect(peerIdOf(identityFromBytes(opened))).toBe(peerIdOf(identityFromBytes(raw)));
    // Sealed and compacted: the raw seed left the files, not only the index.
    expect(holds(await folderBytes(path), seedOf(raw))).toBe(false);
    expect(await migrateIdentity(path, key)).toBe(false); // nothing left to migrate
  });

  it('swarmd migrate seals the raw identity of an older database and says so; a second run has nothing to do', async () => {
    const raw = identityToBytes(await generateIdentity());
    const path = join(dir(), 'old');
    await writeRawIdentityDatabase(path, raw);
    const keyPath = join(dir(), 'site.key');
    await writeKeyFile(keyPath, key);

    expect(await migrateCheckpoints({ db: path, keyPath })).toBe(
      `database ${path}: encrypted the peer identity under key ${key.fingerprint}`,
    );
    expect(holds(await folderBytes(path), seedOf(raw))).toBe(false);
    expect(await migrateCheckpoints({ db: path, keyPath })).toBe(`database ${path} needed no migration`);
    const store = await openStore(path, { key });
    expect(Buffer.from((await store.getIdentity())!).equals(Buffer.from(raw))).toBe(true);
    await store.close();
    await expect(migrateIdentity(join(dir(), 'nothing-here'), key)).rejects.toMatchObject({
      code: 'NOT_A_DATABASE',
    });
  });
});
