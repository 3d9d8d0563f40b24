import { readFile, stat } from 'node:fs/promises';
import { writeOutput, type NamedPath, type OutputFile } from '../core/index.js';
import type { ModelKey } from '../inr/index.js';
import { decodeCheckpoint, encodeCheckpoint } from './codec.js';
import { CheckpointCorruptError, CheckpointEncryptedError, StoreError } from './errors.js';
import type { Checkpoint } from './manifest.js';
import { checkpointSealer } from './seal.js';
import { openStore } from './store.js';

/*
 * A checkpoint as one portable file: "SWCK2\n" | u32 LE id length | id (UTF-8) | sealed checkpoint (seal.ts).
 * Only the id is in the clear; manifest and weights are sealed under the model key, with the id bound in.
 * Version 1 files ("SWCK1\n") held both in the clear; they are refused with the command that seals them.
 */
const MAGIC = new TextEncoder().encode('SWCK2\n');
const MAGIC_V1 = new TextEncoder().encode('SWCK1\n');
const HEAD = MAGIC.length + 4;

export function encodeCheckpointFile(cp: Checkpoint, key: ModelKey): Uint8Array {
  const id = new TextEncoder().encode(cp.manifest.id);
  const sealed = checkpointSealer(key).seal(cp.manifest.id, encodeCheckpoint(cp));
  const out = new Uint8Array(HEAD + id.length + sealed.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, id.length, true);
  out.set(id, HEAD);
  out.set(sealed, HEAD + id.length);
  return out;
}

/**
 * Writes the file atomically (temp file, then rename); a crash leaves at most a stale `.tmp-<pid>`. Only a
 * checkpoint file (either version) is replaced: anything else at `path` is refused untouched.
 */
export async function exportCheckpointFile(
  cp: Checkpoint,
  path: string,
  key: ModelKey,
  fix = 'pass another path',
): Promise<void> {
  await writeOutput(checkpointOutput(path, fix), encodeCheckpointFile(cp, key));
}

/** `path` as a checkpoint file target (for placeOutput's check before the first export). */
export function checkpointOutput(path: string, fix: string, inputs: NamedPath[] = []): OutputFile {
  const isOurs = (head: Uint8Array) => startsWith(head, MAGIC) || startsWith(head, MAGIC_V1);
  return { path, what: 'checkpoint file', fix, isOurs, inputs };
}

export async function readCheckpointFile(path: string, key?: ModelKey): Promise<Checkpoint> {
  return decodeCheckpointFile(new Uint8Array(await readFile(path)), path, key);
}

export function decodeCheckpointFile(bytes: Uint8Array, path: string, key?: ModelKey): Checkpoint {
  if (startsWith(bytes, MAGIC_V1)) {
    throw new StoreError(
      'CHECKPOINT_UNENCRYPTED',
      `${path} is an unencrypted checkpoint file from an older swarmd: run \`swarmd migrate --checkpoint ${path} --key <key file>\` once to encrypt it`,
    );
  }
  if (bytes.length < HEAD || !startsWith(bytes, MAGIC)) {
    throw new CheckpointCorruptError(
      'CHECKPOINT_FORMAT',
      `${path} is not a swarmd checkpoint file (bad header)`,
    );
  }
  const idLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  if (HEAD + idLength > bytes.length)
    throw new CheckpointCorruptError('CHECKPOINT_CORRUPT', `${path} is truncated`);
  const id = new TextDecoder().decode(bytes.subarray(HEAD, HEAD + idLength));
  if (!key) throw new CheckpointEncryptedError(`checkpoint ${id} in ${path}`);
  const plain = checkpointSealer(key).open(id, bytes.subarray(HEAD + idLength), path);
  return decodeCheckpoint(id, plain, path);
}

const startsWith = (bytes: Uint8Array, magic: Uint8Array) =>
  bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b);

/**
 * Opens a checkpoint from a database directory (its latest checkpoint, or `dir#id`) or an exported file,
 * with the model key it is sealed under. A directory that is not a swarmd database is refused untouched;
 * a database is closed again before returning.
 */
export async function openCheckpoint(location: string, key?: ModelKey): Promise<Checkpoint> {
  const whole = await stat(location).catch(() => null);
  if (whole?.isFile()) return readCheckpointFile(location, key); // a file name may hold a '#'
  const cut = location.lastIndexOf('#');
  const [path, id] = cut < 0 ? [location, undefined] : [location.slice(0, cut), location.slice(cut + 1)];
  const info = await stat(path).catch(() => null);
  if (!info)
    throw new StoreError('CHECKPOINT_MISSING', `no checkpoint at ${path}: check the --checkpoint path`);
  if (info.isFile()) return readCheckpointFile(path, key);
  const store = await openStore(path, { key, mustExist: true });
  try {
    const cp = id ? await store.getCheckpoint(id) : await store.latestCheckpoint();
    if (!cp) {
      throw new StoreError(
        'CHECKPOINT_MISSING',
        `database ${path} holds no checkpoint${id ? ` named ${id}` : ''}`,
      );
    }
    return cp;
  } finally {
    await store.close();
  }
}
