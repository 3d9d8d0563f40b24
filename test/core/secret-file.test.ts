import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SecretFileError,
  assertPrivateDir,
  fsErrorReason,
  readSecretFile,
  writeSecretFile,
} from '../../src/core/index.js';

const label = { what: 'test secret', holds: 'a secret' };
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-secret-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e,
  );
}

describe('secret files', () => {
  it('are written 0600 under any umask, atomically, leaving no temp file', async () => {
    const path = join(dir, 's');
    const old = process.umask(0);
    try {
      await writeSecretFile(path, 'one');
    } finally {
      process.umask(old);
    }
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe('one');
    expect(await readdir(dir)).toEqual(['s']);
  });

  it('never replace an existing file unless told to', async () => {
    const path = join(dir, 's');
    await writeFile(path, 'precious');
    expect(await rejection(writeSecretFile(path, 'new'))).toMatchObject({ code: 'EEXIST' });
    expect(await readFile(path, 'utf8')).toBe('precious');
    await writeSecretFile(path, new Uint8Array([1, 2]), { overwrite: true });
    expect([...(await readFile(path))]).toEqual([1, 2]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['s']);
  });

  it('fail with the file system error when the folder is missing', async () => {
    const err = await rejection(writeSecretFile(join(dir, 'no', 's'), 'x'));
    expect(err).toMatchObject({ code: 'ENOENT' });
    expect(fsErrorReason(err)).toBe('its folder does not exist');
  });

  it('are read only when no group or other bit is set, else refused with the chmod command', async () => {
    const path = join(dir, 's');
    await writeSecretFile(path, 'secret');
    for (const mode of [0o600, 0o400, 0o700]) {
      await chmod(path, mode);
      expect((await readSecretFile(path, label)).toString()).toBe('secret');
    }
    for (const mode of [0o644, 0o640, 0o604, 0o610, 0o601, 0o660]) {
      await chmod(path, mode);
      const err = await rejection(readSecretFile(path, label));
      expect(err).toBeInstanceOf(SecretFileError);
      expect((err as SecretFileError).message).toBe(
        `test secret ${path} holds a secret but group or others may access it (mode ${mode.toString(8)}): run \`chmod 600 ${path}\``,
      );
    }
    expect(await rejection(readSecretFile(join(dir, 'absent'), label))).toMatchObject({ code: 'ENOENT' });
  });

  it('live in a folder only its owner may enter', async () => {
    const path = join(dir, 'data');
    await assertPrivateDir(path, label); // missing: fine, it will be created 0700
    await mkdir(path, { mode: 0o700 });
    await assertPrivateDir(path, label);
    await chmod(path, 0o750);
    const err = await rejection(assertPrivateDir(path, label));
    expect(err).toMatchObject({ code: 'SECRET_FILE_TOO_OPEN' });
    expect((err as Error).message).toContain(`(mode 750): run \`chmod 700 ${path}\``);
  });
});
