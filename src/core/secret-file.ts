import { randomBytes } from 'node:crypto';
import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SwarmdError } from './errors.js';

/**
 * Secret files (the model key, the swarm PSK) and the folder holding the peer identity: written owner-only,
 * and refused when group or others may access them, as ssh refuses a private key others can read.
 */
export class SecretFileError extends SwarmdError {
  constructor(
    code: string,
    readonly path: string,
    message: string,
  ) {
    super(code, message);
  }
}

const FILE_MODE = 0o600;
const DIR_MODE = 0o700;
// Mode bits are POSIX only: on Windows stat reports 0o666 for every writable file.
const posix = process.platform !== 'win32';

export interface WriteSecretFileOptions {
  /** Replace an existing file at `path`. Default false: an existing file fails with code EEXIST. */
  overwrite?: boolean;
}

/**
 * Writes `data` to `path` with mode 0600, atomically: a temp file in the same folder, then a hard link (which
 * never replaces an existing file, so two writers cannot clobber each other) or, with `overwrite`, a rename.
 * Fails with the file system's own error (code EEXIST, ENOENT, …) for the caller to explain.
 */
export async function writeSecretFile(
  path: string,
  data: string | Uint8Array,
  options: WriteSecretFileOptions = {},
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'wx', FILE_MODE);
  try {
    try {
      await fh.writeFile(data);
      await fh.chmod(FILE_MODE); // the umask only clears bits, but a permissive default ACL should not matter
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (options.overwrite) await rename(tmp, path);
    else await linkWithoutReplacing(tmp, path);
  } finally {
    await unlink(tmp).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}

async function linkWithoutReplacing(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // A filesystem without hard links: check, then rename (not atomic against a concurrent writer).
    const there = await stat(path).then(
      () => true,
      (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? false : Promise.reject(e)),
    );
    if (there) throw Object.assign(new Error(`${path} exists`), { code: 'EEXIST' });
    await rename(tmp, path);
  }
}

/** Names a secret holder in messages: what the path is, and what secret it holds. */
export interface SecretLabel {
  what: string;
  holds: string;
}

/**
 * Reads a secret file after checking, on the open file, that only its owner may access it. Fails with the
 * file system's error when it cannot be opened or read.
 */
export async function readSecretFile(path: string, label: SecretLabel): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const info = await fh.stat();
    if (!info.isFile()) {
      const what = info.isDirectory() ? 'a folder' : 'not a regular file';
      throw new SecretFileError(
        'SECRET_FILE_NOT_FILE',
        path,
        `${label.what} ${path} is ${what}: pass the file that holds ${label.holds}`,
      );
    }
    assertOwnerOnly(info.mode, path, label, FILE_MODE);
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Refuses an existing folder that group or others may enter; a missing one is fine (it is created 0700). */
export async function assertPrivateDir(path: string, label: SecretLabel): Promise<void> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw new SecretFileError(
      'SECRET_DIR_UNUSABLE',
      path,
      `cannot use ${label.what} ${path}: ${fsErrorReason(err)}`,
    );
  });
  if (info) assertOwnerOnly(info.mode, path, label, DIR_MODE);
}

/** The mode a new private folder gets (pass to mkdir). */
export const PRIVATE_DIR_MODE = DIR_MODE;

function assertOwnerOnly(mode: number, path: string, label: SecretLabel, wanted: number): void {
  if (!posix || (mode & 0o077) === 0) return;
  const octal = (m: number) => (m & 0o777).toString(8).padStart(3, '0');
  throw new SecretFileError(
    'SECRET_FILE_TOO_OPEN',
    path,
    `${label.what} ${path} holds ${label.holds} but group or others may access it (mode ${octal(mode)}): run \`chmod ${octal(wanted)} ${path}\``,
  );
}

/** Why a file operation failed, in words for a message ("its folder does not exist"); else its message. */
export function fsErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  const reasons: Record<string, string> = {
    ENOENT: 'its folder does not exist',
    ENOTDIR: 'a part of the path is not a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a folder',
    ENOSPC: 'the disk is full',
    EROFS: 'the file system is read-only',
    ENAMETOOLONG: 'a name in the path is too long (255 bytes at most per file or folder name)',
    ELOOP: 'the path loops through symbolic links',
    EEXIST: 'something is already there',
  };
  return (code && reasons[code]) ?? String((err as Error).message ?? err);
}
