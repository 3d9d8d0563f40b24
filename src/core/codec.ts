import { InputError } from './errors.js';
import { littleEndianBytes, sortedNames, tensorSize, type NamedTensors } from './tensors.js';

/*
 * Binary form of named tensors shared by the wire and the checkpoint store:
 *   magic "SWT1" | u32 header length | header JSON [{name, shape}] in sorted name order | float32 LE data.
 * Self-describing and independent of msgpack so a checkpoint file outlives library upgrades.
 */
const MAGIC = 'SWT1';

export function encodeTensors(tensors: NamedTensors): Uint8Array {
  const names = sortedNames(tensors);
  const header = new TextEncoder().encode(
    JSON.stringify(names.map((name) => ({ name, shape: tensors.get(name)!.shape }))),
  );
  let dataBytes = 0;
  for (const n of names) dataBytes += tensors.get(n)!.data.byteLength;
  const out = new Uint8Array(8 + header.length + dataBytes);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  let offset = 8 + header.length;
  for (const n of names) {
    const bytes = littleEndianBytes(tensors.get(n)!.data);
    out.set(bytes, offset);
    offset += bytes.length;
  }
  return out;
}

export function decodeTensors(bytes: Uint8Array): NamedTensors {
  const bad = (why: string) => new InputError('TENSORS_CORRUPT', `tensor blob is corrupt: ${why}`);
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) throw bad('bad magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getUint32(4, true);
  if (8 + headerLen > bytes.length) throw bad('header runs past the end');
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw bad('header is not JSON');
  }
  if (!Array.isArray(header)) throw bad('header is not a list');
  const out: NamedTensors = new Map();
  let offset = 8 + headerLen;
  for (const entry of header) {
    if (typeof entry !== 'object' || entry === null) throw bad('bad tensor entry');
    const { name, shape } = entry as { name?: unknown; shape?: unknown };
    if (
      typeof name !== 'string' ||
      out.has(name) ||
      !Array.isArray(shape) ||
      !shape.every((d) => Number.isInteger(d) && d >= 0)
    ) {
      throw bad('bad tensor entry');
    }
    const n = tensorSize(shape);
    if (offset + n * 4 > bytes.length) throw bad(`tensor ${name} runs past the end`);
    const data = readFloat32LE(bytes, offset, n);
    out.set(name, { shape, data });
    offset += n * 4;
  }
  if (offset !== bytes.length) throw bad(`${bytes.length - offset} trailing bytes`);
  return out;
}

const isLittleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function readFloat32LE(bytes: Uint8Array, offset: number, n: number): Float32Array {
  // Uint8Array's slice copies (Buffer's would not), giving an aligned buffer of exactly n floats.
  if (isLittleEndianHost)
    return new Float32Array(Uint8Array.prototype.slice.call(bytes, offset, offset + n * 4).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * 4);
  return Float32Array.from({ length: n }, (_, i) => view.getFloat32(i * 4, true));
}
