import { decodeTensors, encodeTensors, type NamedTensors } from '../../core/index.js';
import { PeerIdSchema } from './schemas.js';

/*
 * The bytes of a site's update name their sender: "SWU1" | u16 length | sender peer id (UTF-8) | tensors
 * (core codec). Two sites that send identical weights therefore send different bytes, so their updates
 * have different content hashes: the update store, keyed by hash, holds both, each with its own manifest
 * (sample count), and every peer recomputes the same merge. A member cannot pass another's update off as
 * its own either: the merge refuses bytes whose sender is not the contributor the commit lists.
 */
const MAGIC = new TextEncoder().encode('SWU1');
const HEADER = MAGIC.length + 2;

export function encodeContribution(sender: string, tensors: NamedTensors): Uint8Array {
  const id = new TextEncoder().encode(PeerIdSchema.parse(sender));
  const body = encodeTensors(tensors);
  const out = new Uint8Array(HEADER + id.length + body.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint16(MAGIC.length, id.length, true);
  out.set(id, HEADER);
  out.set(body, HEADER + id.length);
  return out;
}

export type ReadContribution = { ok: true; tensors: NamedTensors } | { ok: false; detail: string };

/** The tensors of `contributor`'s update; never throws: bytes that do not decode or name another sender fail. */
export function readContribution(bytes: Uint8Array, contributor: string): ReadContribution {
  if (bytes.length < HEADER || MAGIC.some((b, i) => bytes[i] !== b))
    return { ok: false, detail: 'not an update (bad magic)' };
  const idLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(
    MAGIC.length,
    true,
  );
  if (HEADER + idLength > bytes.length) return { ok: false, detail: 'the sender runs past the end' };
  const sender = new TextDecoder().decode(bytes.subarray(HEADER, HEADER + idLength));
  if (sender !== contributor)
    return { ok: false, detail: `the update names sender ${sender.slice(0, 64)}, not the contributor` };
  try {
    return { ok: true, tensors: decodeTensors(bytes.subarray(HEADER + idLength)) };
  } catch (err) {
    return { ok: false, detail: (err as Error).message };
  }
}
