import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  KeyFileError,
  KeyMismatchError,
  assertKeyMatches,
  generateModelKey,
  loadKeyFile,
  modelKeyFromBytes,
  writeKeyFile,
} from '../../src/inr/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-key-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectKeyFileError(p: Promise<unknown>, code: string, path: string): Promise<KeyFileError> {
  const err = await p.then(
    () => expect.fail('expected a KeyFileError'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(KeyFileError);
  expect((err as KeyFileError).code).toBe(code);
  expect((err as KeyFileError).message).toContain(path);
  return err as KeyFileError;
}

/** Writes a valid key file, applies `edit` to its JSON, and writes it back. */
async function editedKeyFile(edit: (json: Record<string, unknown>) => void): Promise<string> {
  const path = join(dir, 'model.key');
  await writeKeyFile(path, generateModelKey());
  const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  edit(json);
  await writeFile(path, JSON.stringify(json));
  return path;
}

describe('model key', () => {
  it('has a 32-hex-char fingerprint that is the same for the same bytes', () => {
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => i);
    const a = modelKeyFromBytes(bytes);
    expect(a.fingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(modelKeyFromBytes(Uint8Array.from(bytes)).fingerprint).toBe(a.fingerprint);
    expect(generateModelKey().fingerprint).not.toBe(a.fingerprint);
  });

  it('fingerprint is SHA-256 of the domain tag and the key, cut to 16 bytes', async () => {
    const { createHash } = await import('node:crypto');
    const bytes = new Uint8Array(32).fill(7);
    const want = createHash('sha256')
      .update(Buffer.concat([Buffer.from('swarmd-model-key-fingerprint-v1\0'), Buffer.from(bytes)]))
      .digest('hex')
      .slice(0, 32);
    expect(modelKeyFromBytes(bytes).fingerprint).toBe(want);
  });

  it('keeps the key bytes out of JSON and inspect output', () => {
    const key = modelKeyFromBytes(new Uint8Array(32).fill(0xab));
    expect(key.key).toHaveLength(32);
    expect(JSON.stringify(key)).toBe(JSON.stringify({ fingerprint: key.fingerprint }));
    expect(inspect(key, { showHidden: false })).not.toMatch(/171|ab,|key:/);
  });

  it('rejects a key that is not 32 bytes', () => {
    expect(() => modelKeyFromBytes(new Uint8Array(31))).toThrow(/32 bytes, got 31/);
  });

  it('assertKeyMatches accepts its own fingerprint and rejects another key', () => {
    const key = generateModelKey();
    expect(() => assertKeyMatches(key, key.fingerprint, 'checkpoint c1')).not.toThrow();
    const other = generateModelKey();
    let err: unknown;
    try {
      assertKeyMatches(other, key.fingerprint, 'checkpoint c1');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KeyMismatchError);
    expect((err as KeyMismatchError).code).toBe('KEY_MISMATCH');
    expect((err as Error).message).toContain(
      `${other.fingerprint} does not match checkpoint c1 (expects ${key.fingerprint})`,
    );
  });
});

describe('key file', () => {
  it('round-trips a key', async () => {
    const path = join(dir, 'model.key');
    const key = generateModelKey();
    await writeKeyFile(path, key);
    const loaded = await loadKeyFile(path);
    expect(loaded.fingerprint).toBe(key.fingerprint);
    expect(Buffer.from(loaded.key).equals(Buffer.from(key.key))).toBe(true);
    const text = await readFile(path, 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(text)).toEqual({
      format: 'swarmd-model-key',
      version: 1,
      key: Buffer.from(key.key).toString('base64'),
      fingerprint: key.fingerprint,
    });
  });

  it('is written with mode 0600 and leaves no temp file', async () => {
    const path = join(dir, 'model.key');
    const oldUmask = process.umask(0);
    try {
      await writeKeyFile(path, generateModelKey());
    } finally {
      process.umask(oldUmask);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const { readdir } = await import('node:fs/promises');
    expect(await readdir(dir)).toEqual(['model.key']);
  });

  it('refuses a key file group or others may access, as ssh does, with the chmod command', async () => {
    const path = join(dir, 'model.key');
    const key = generateModelKey();
    await writeKeyFile(path, key);
    for (const mode of [0o644, 0o640, 0o604, 0o620, 0o602]) {
      await chmod(path, mode);
      const err = await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_TOO_OPEN', path);
      expect(err.message).toContain(`(mode ${mode.toString(8)})`);
      expect(err.message).toContain(`\`chmod 600 ${path}\``);
    }
    for (const mode of [0o600, 0o400]) {
      await chmod(path, mode);
      expect((await loadKeyFile(path)).fingerprint).toBe(key.fingerprint);
    }
  });

  it('refuses to overwrite an existing file unless told to', async () => {
    const path = join(dir, 'model.key');
    const first = generateModelKey();
    await writeKeyFile(path, first);
    const err = await expectKeyFileError(writeKeyFile(path, generateModelKey()), 'KEY_FILE_EXISTS', path);
    expect(err.message).toMatch(/--force/);
    expect((await loadKeyFile(path)).fingerprint).toBe(first.fingerprint);

    const second = generateModelKey();
    await writeKeyFile(path, second, { overwrite: true });
    expect((await loadKeyFile(path)).fingerprint).toBe(second.fingerprint);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('says where the folder is missing when writing', async () => {
    const path = join(dir, 'nope', 'model.key');
    await expectKeyFileError(writeKeyFile(path, generateModelKey()), 'KEY_FILE_WRITE', path);
  });

  it('tells how to create a missing key file', async () => {
    const path = join(dir, 'absent.key');
    const err = await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_MISSING', path);
    expect(err.message).toContain(`swarmd keygen --out ${path}`);
  });

  it('rejects a truncated key file', async () => {
    const path = join(dir, 'model.key');
    await writeKeyFile(path, generateModelKey());
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, Math.floor(text.length / 2)));
    await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_TRUNCATED', path);
    await writeFile(path, '');
    await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_TRUNCATED', path);
  });

  it('rejects a file that is not JSON or has another format tag', async () => {
    const path = join(dir, 'id.pem');
    await writeFile(path, '-----BEGIN PRIVATE KEY-----\n', { mode: 0o600 });
    await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_FORMAT', path);
    const tagged = await editedKeyFile((j) => (j.format = 'something-else'));
    await expectKeyFileError(loadKeyFile(tagged), 'KEY_FILE_FORMAT', tagged);
  });

  it('rejects an unsupported version and names the supported one', async () => {
    const path = await editedKeyFile((j) => (j.version = 2));
    const err = await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_VERSION', path);
    expect(err.message).toMatch(/version 2; this swarmd reads version 1/);
  });

  it('rejects a 31-byte key', async () => {
    const path = await editedKeyFile((j) => (j.key = Buffer.alloc(31, 1).toString('base64')));
    const err = await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_CORRUPT', path);
    expect(err.message).toMatch(/found 31 bytes/);
  });

  it('rejects a tampered fingerprint', async () => {
    const path = await editedKeyFile((j) => (j.fingerprint = '0'.repeat(32)));
    await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_CORRUPT', path);
  });

  it('never puts key bytes into an error message', async () => {
    const key = modelKeyFromBytes(new Uint8Array(32).fill(0x5a));
    const path = join(dir, 'model.key');
    await writeKeyFile(path, key);
    const b64 = Buffer.from(key.key).toString('base64');
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    await writeFile(path, JSON.stringify({ ...json, fingerprint: 'f'.repeat(32) }));
    const err = await expectKeyFileError(loadKeyFile(path), 'KEY_FILE_CORRUPT', path);
    expect(err.message).not.toContain(b64);
    expect(err.message).not.toContain(Buffer.from(key.key).toString('hex'));
  });
});
