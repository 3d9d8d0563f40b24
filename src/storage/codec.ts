import { decodeTensors, encodeTensors, hashTensors } from '../core/index.js';
import { CheckpointCorruptError } from './errors.js';
import { CheckpointManifestSchema, type Checkpoint } from './manifest.js';

/*
 * A whole checkpoint as one byte string, the plaintext that gets sealed:
 *   u32 LE manifest length | manifest JSON | tensor blob (core's SWT1 codec).
 * Sealing it in one piece puts the manifest (preprocessing, class names, model config) under the same
 * authentication tag as the weights.
 */
export function encodeCheckpoint(cp: Checkpoint): Uint8Array {
  const manifest = new TextEncoder().encode(JSON.stringify(CheckpointManifestSchema.parse(cp.manifest)));
  const tensors = encodeTensors(cp.tensors);
  const out = new Uint8Array(4 + manifest.length + tensors.length);
  new DataView(out.buffer).setUint32(0, manifest.length, true);
  out.set(manifest, 4);
  out.set(tensors, 4 + manifest.length);
  return out;
}

/** Parses and hash-checks an opened checkpoint; `where` names the database or file in errors. */
export function decodeCheckpoint(id: string, bytes: Uint8Array, where: string): Checkpoint {
  if (bytes.length < 4) throw corrupt(id, where, 'truncated');
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (4 + len > bytes.length) throw corrupt(id, where, 'manifest runs past the end');
  return verifyCheckpoint(id, bytes.subarray(4, 4 + len), bytes.subarray(4 + len), where);
}

/** Parses and hash-checks checkpoint parts (manifest JSON, tensor blob). */
export function verifyCheckpoint(
  id: string,
  m: Uint8Array,
  t: Uint8Array | undefined,
  where: string,
): Checkpoint {
  const parsed = CheckpointManifestSchema.safeParse(safeJson(m));
  if (!parsed.success) throw corrupt(id, where, 'manifest unreadable');
  if (parsed.data.id !== id) throw corrupt(id, where, `its manifest names it ${parsed.data.id}`);
  if (t === undefined) throw corrupt(id, where, 'tensors missing');
  let tensors;
  try {
    tensors = decodeTensors(t);
  } catch (err) {
    throw corrupt(id, where, (err as Error).message);
  }
  if (hashTensors(tensors) !== parsed.data.tensorsHash)
    throw corrupt(id, where, 'tensors do not match the manifest hash');
  return { manifest: parsed.data, tensors };
}

function corrupt(id: string, where: string, why: string) {
  return new CheckpointCorruptError(
    'CHECKPOINT_CORRUPT',
    `checkpoint ${id} in ${where} is corrupt (${why}); it was not used: restore it from another site or a backup`,
  );
}

export function safeJson(b: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(b));
  } catch {
    return undefined;
  }
}
