import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { encodeTensors } from '../core/index.js';
import { CheckpointCorruptError, StoreError } from './errors.js';
import type { Checkpoint } from './manifest.js';
import { openStore, verifyCheckpoint } from './store.js';

/*
 * A checkpoint as one portable file: "SWCK1\n" | u32 LE manifest length | manifest JSON | tensor blob.
 * It holds the key's fingerprint, never the key.
 */
const MAGIC = new TextEncoder().encode('SWCK1\n');

export async function exportCheckpointFile(cp: Checkpoint, path: string): Promise<void> {
  const manifest = new TextEncoder().encode(JSON.stringify(cp.manifest));
  const tensors = encodeTensors(cp.tensors);
  const out = new Uint8Array(MAGIC.length + 4 + manifest.length + tensors.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, manifest.length, true);
  out.set(manifest, MAGIC.length + 4);
  out.set(tensors, MAGIC.length + 4 + manifest.length);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, out);
  await rename(tmp, path);
}

export async function readCheckpointFile(path: string): Promise<Checkpoint> {
  const bytes = new Uint8Array(await readFile(path));
  const head = MAGIC.length + 4;
  if (bytes.length < head || !MAGIC.every((b, i) => bytes[i] === b)) {
    throw new CheckpointCorruptError(
      'CHECKPOINT_FORMAT',
      `${path} is not a swarmd checkpoint file (bad header)`,
    );
  }
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(MAGIC.length, true);
  if (head + len > bytes.length)
    throw new CheckpointCorruptError('CHECKPOINT_CORRUPT', `${path} is truncated`);
  return verifyCheckpoint('(file)', bytes.subarray(head, head + len), bytes.subarray(head + len), path);
}

/**
 * Opens a checkpoint from a database directory (its latest checkpoint, or `dir#id`) or an exported file.
 * Read-only use: the database is closed again before returning.
 */
export async function openCheckpoint(location: string): Promise<Checkpoint> {
  const [path, id] = location.split('#');
  const info = await stat(path).catch(() => null);
  if (!info)
    throw new StoreError('CHECKPOINT_MISSING', `no checkpoint at ${path}: check the --checkpoint path`);
  if (info.isFile()) return readCheckpointFile(path);
  const store = await openStore(path);
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
