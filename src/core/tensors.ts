import { createHash } from 'node:crypto';

/** One tensor as moved between peers and stored on disk: row-major float32 with its shape. */
export interface Tensor {
  shape: number[];
  data: Float32Array;
}

/** A model's weights by stable name (`decoder_1/kernel`, ...). swarm/storage never see tfjs. */
export type NamedTensors = Map<string, Tensor>;

/** Names sorted by code unit, so every machine walks tensors in the same order. */
export function sortedNames(tensors: NamedTensors): string[] {
  return [...tensors.keys()].sort();
}

/**
 * SHA-256 over names, shapes and little-endian float32 bytes in sorted name order.
 * Two peers with byte-identical weights get the same hex digest.
 */
export function hashTensors(tensors: NamedTensors): string {
  const h = createHash('sha256');
  for (const name of sortedNames(tensors)) {
    const t = tensors.get(name)!;
    h.update(`${name}\0${t.shape.join(',')}\0`);
    h.update(littleEndianBytes(t.data));
  }
  return h.digest('hex');
}

/** Bytes of a Float32Array in little-endian order regardless of the host's endianness. */
export function littleEndianBytes(data: Float32Array): Uint8Array {
  if (isLittleEndianHost) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return out;
}

const isLittleEndianHost = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export function tensorSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function totalBytes(tensors: NamedTensors): number {
  let n = 0;
  for (const t of tensors.values()) n += t.data.byteLength;
  return n;
}
