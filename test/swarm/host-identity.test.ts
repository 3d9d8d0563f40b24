import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSwarmPsk,
  generateIdentity,
  identityFromBytes,
  identityToBytes,
  parsePskFile,
  peerIdOf,
  pskSecret,
  readPskFile,
  signWith,
  verifyFromPeerId,
  writePskFile,
} from '../../src/swarm/net/index.js';

const HEX = '0123456789abcdef'.repeat(4);
const KEY_FILE = `/key/swarm/psk/1.0.0/\n/base16/\n${HEX}`;

describe('peer identity', () => {
  it('round-trips through protobuf bytes to the same key and peer id', async () => {
    const key = await generateIdentity();
    const bytes = identityToBytes(key);
    const back = identityFromBytes(bytes);

    expect(key.type).toBe('Ed25519');
    expect(back.equals(key)).toBe(true);
    expect(peerIdOf(back)).toBe(peerIdOf(key));
    expect(peerIdOf(key)).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
    // protobuf: field 1 (type) = 1 (Ed25519), field 2 (data) = 64 bytes (seed ‖ public key)
    expect([...bytes.subarray(0, 4)]).toEqual([0x08, 0x01, 0x12, 0x40]);
    expect(bytes.byteLength).toBe(68);
  });

  it('rejects bytes that are not a key with IDENTITY_INVALID', () => {
    expect(() => identityFromBytes(Uint8Array.of(1, 2, 3))).toThrow(
      expect.objectContaining({ code: 'IDENTITY_INVALID' }),
    );
  });

  it('verifies a signature against the signer peer id only', async () => {
    const [alice, bob] = await Promise.all([generateIdentity(), generateIdentity()]);
    const message = new TextEncoder().encode('round 7 commit');
    const sig = await signWith(alice)(message);

    expect(sig.byteLength).toBe(64);
    expect(await verifyFromPeerId(peerIdOf(alice), message, sig)).toBe(true);
    expect(await verifyFromPeerId(peerIdOf(bob), message, sig)).toBe(false);
    expect(await verifyFromPeerId(peerIdOf(alice), new TextEncoder().encode('round 8 commit'), sig)).toBe(
      false,
    );
    expect(await verifyFromPeerId(peerIdOf(alice), message, sig.subarray(1))).toBe(false);
    expect(await verifyFromPeerId('not-a-peer-id', message, sig)).toBe(false);
  });
});

describe('swarm key file', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir != null) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('creates a 95-byte pnet key file whose secret is its 64 hex digits', () => {
    const psk = createSwarmPsk();
    const text = new TextDecoder().decode(psk);
    const hex = text.split('\n')[2];

    expect(psk.byteLength).toBe(95);
    expect(text).toMatch(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}$/);
    expect(Buffer.from(pskSecret(psk)).toString('hex')).toBe(hex);
    expect(createSwarmPsk()).not.toEqual(psk);
  });

  it('normalises CRLF, blanks, a trailing newline and upper-case hex to the canonical file', () => {
    const messy = `\uFEFF  /key/swarm/psk/1.0.0/\r\n/base16/\r\n${HEX.toUpperCase()}\r\n\n`;
    expect(new TextDecoder().decode(parsePskFile(messy))).toBe(KEY_FILE);
    expect(new TextDecoder().decode(parsePskFile(new TextEncoder().encode(KEY_FILE)))).toBe(KEY_FILE);
    expect([...pskSecret(KEY_FILE).subarray(0, 4)]).toEqual([0x01, 0x23, 0x45, 0x67]);
    expect(pskSecret(KEY_FILE).byteLength).toBe(32);
  });

  it.each([
    ['', 'PSK_EMPTY'],
    [`/key/swarm/psk/2.0.0/\n/base16/\n${HEX}`, 'PSK_BAD_HEADER'],
    [`/key/swarm/psk/1.0.0/\n/base64/\n${HEX}`, 'PSK_UNSUPPORTED_ENCODING'],
    ['/key/swarm/psk/1.0.0/\n/base16/', 'PSK_BAD_LENGTH'],
    [`/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(2)}`, 'PSK_BAD_LENGTH'],
    [`/key/swarm/psk/1.0.0/\n/base16/\n${HEX.slice(1)}g`, 'PSK_NOT_HEX'],
    [`${KEY_FILE}\nextra`, 'PSK_TRAILING_DATA'],
    [Uint8Array.of(0xff, 0xfe, 0x00), 'PSK_NOT_TEXT'],
  ])('rejects %j with %s and says how to fix it', (input, code) => {
    expect(() => parsePskFile(input)).toThrow(
      expect.objectContaining({ code, message: expect.stringMatching(/copy/) }),
    );
  });

  it('writes the key file with mode 0600 and refuses to overwrite it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmd-psk-'));
    const path = join(dir, 'swarm.key');

    const written = await writePskFile(path);

    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(new Uint8Array(await readFile(path))).toEqual(written);
    expect(await readPskFile(path)).toEqual(written);
    await expect(writePskFile(path)).rejects.toMatchObject({ code: 'PSK_EXISTS' });
    expect(new Uint8Array(await readFile(path))).toEqual(written);
  });

  it('refuses to overwrite a file that is not a key, and reports an unreadable path', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmd-psk-'));
    const path = join(dir, 'swarm.key');
    await writeFile(path, 'precious');

    await expect(writePskFile(path)).rejects.toMatchObject({ code: 'PSK_EXISTS' });
    expect(await readFile(path, 'utf8')).toBe('precious');
    await expect(readPskFile(join(dir, 'missing.key'))).rejects.toMatchObject({ code: 'PSK_UNREADABLE' });
  });
});
