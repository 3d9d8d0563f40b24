import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { KeyFileError } from './errors.js';
import { MODEL_KEY_BYTES, keyFingerprint, modelKeyFromBytes, type ModelKey } from './key.js';

const FORMAT = 'swarmd-model-key';
const SUPPORTED_VERSIONS = [1];
const KEY_FILE_MODE = 0o600;

const KeyFileV1Schema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  key: z.string(),
  fingerprint: z.string(),
});
type KeyFileV1 = z.infer<typeof KeyFileV1Schema>;

export interface WriteKeyFileOptions {
  /** Replace an existing file at `path` (the CLI's --force). Default false. */
  overwrite?: boolean;
}

/**
 * Writes `key` to `path` with mode 0600, atomically: a temp file in the same folder, then a link
 * (which never replaces an existing file) or, with `overwrite`, a rename.
 */
export async function writeKeyFile(
  path: string,
  key: ModelKey,
  options: WriteKeyFileOptions = {},
): Promise<void> {
  const body: KeyFileV1 = {
    format: FORMAT,
    version: 1,
    key: Buffer.from(key.key).toString('base64'),
    fingerprint: key.fingerprint,
  };
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writePrivateFile(tmp, `${JSON.stringify(body)}\n`);
    if (options.overwrite) await rename(tmp, path);
    else await linkWithoutReplacing(tmp, path);
  } catch (err) {
    throw asWriteError(err, path);
  } finally {
    await unlink(tmp).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw asWriteError(err, path);
    });
  }
}

async function writePrivateFile(path: string, text: string): Promise<void> {
  const fh = await open(path, 'wx', KEY_FILE_MODE);
  try {
    await fh.writeFile(text, 'utf8');
    // The umask can only clear bits, but a permissive default ACL or an odd umask should not matter.
    await fh.chmod(KEY_FILE_MODE);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function linkWithoutReplacing(tmp: string, path: string): Promise<void> {
  try {
    await link(tmp, path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw err;
    // A filesystem without hard links: check, then rename (not atomic against a concurrent writer).
    if (await exists(path)) throw Object.assign(new Error('exists'), { code: 'EEXIST' });
    await rename(tmp, path);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

function asWriteError(err: unknown, path: string): KeyFileError {
  if (err instanceof KeyFileError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') {
    return new KeyFileError(
      'KEY_FILE_EXISTS',
      path,
      `key file ${path} already exists: pass --force to replace it (the old key is lost) or pick another path`,
    );
  }
  const why = code === 'ENOENT' ? 'its folder does not exist' : String((err as Error).message ?? err);
  return new KeyFileError('KEY_FILE_WRITE', path, `cannot write key file ${path}: ${why}`, { cause: err });
}

/** Reads and checks a key file; every failure is a KeyFileError naming `path` and what to do. */
export async function loadKeyFile(path: string): Promise<ModelKey> {
  const body = parseKeyFile(path, await readKeyFileText(path));
  const bytes = Buffer.from(body.key, 'base64');
  if (bytes.toString('base64') !== body.key || bytes.length !== MODEL_KEY_BYTES) {
    throw new KeyFileError(
      'KEY_FILE_CORRUPT',
      path,
      `key file ${path} does not hold a ${MODEL_KEY_BYTES}-byte base64 key (found ${bytes.length} bytes): restore it from the swarm's key file`,
    );
  }
  if (keyFingerprint(bytes) !== body.fingerprint.toLowerCase()) {
    throw new KeyFileError(
      'KEY_FILE_CORRUPT',
      path,
      `key file ${path} is damaged: its stored fingerprint ${body.fingerprint} does not match its key; restore it from the swarm's key file`,
    );
  }
  const key = modelKeyFromBytes(bytes);
  bytes.fill(0);
  return key;
}

async function readKeyFileText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeyFileError(
        'KEY_FILE_MISSING',
        path,
        `key file ${path} does not exist: create one with \`swarmd keygen --out ${path}\` or copy the swarm's key file there`,
        { cause: err },
      );
    }
    throw new KeyFileError(
      'KEY_FILE_UNREADABLE',
      path,
      `cannot read key file ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function parseKeyFile(path: string, text: string): KeyFileV1 {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const trimmed = text.trim();
    const cut = trimmed === '' || (trimmed.startsWith('{') && !trimmed.endsWith('}'));
    throw new KeyFileError(
      cut ? 'KEY_FILE_TRUNCATED' : 'KEY_FILE_FORMAT',
      path,
      cut
        ? `key file ${path} is empty or truncated: copy the swarm's key file again`
        : `${path} is not a swarmd key file (not JSON): pass the file written by \`swarmd keygen\``,
      { cause: err },
    );
  }
  const header = json as { format?: unknown; version?: unknown } | null;
  if (typeof header !== 'object' || header === null || header.format !== FORMAT) {
    throw new KeyFileError(
      'KEY_FILE_FORMAT',
      path,
      `${path} is not a swarmd key file (format is not "${FORMAT}"): pass the file written by \`swarmd keygen\``,
    );
  }
  if (!SUPPORTED_VERSIONS.includes(header.version as number)) {
    throw new KeyFileError(
      'KEY_FILE_VERSION',
      path,
      `key file ${path} has version ${JSON.stringify(header.version)}; this swarmd reads version ${SUPPORTED_VERSIONS.join(', ')}: upgrade swarmd or use a key file it wrote`,
    );
  }
  const parsed = KeyFileV1Schema.safeParse(json);
  if (!parsed.success) {
    throw new KeyFileError(
      'KEY_FILE_CORRUPT',
      path,
      `key file ${path} lacks a valid "key" or "fingerprint" field: restore it from the swarm's key file`,
    );
  }
  return parsed.data;
}

/** True when group or others may read or write the key file (a reason to warn; mode bits are POSIX only). */
export async function keyFilePermissionsTooOpen(path: string): Promise<boolean> {
  if (process.platform === 'win32') return false;
  return ((await stat(path)).mode & 0o077) !== 0;
}
