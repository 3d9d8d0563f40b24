import { createHash } from 'node:crypto';
import { z } from 'zod';
import { sortedNames, type NamedTensors } from '../../../core/index.js';
import { SecAggError } from './errors.js';
import { residuesFromBytes, residuesToBytes } from './fixed.js';
import { advertBytes, type SecureRound } from './roster.js';

/*
 * What a contributor sends as its update in a secure round: a public header (the roster it masked against
 * and the model layout, both known to every member anyway) followed by the masked residues. The header
 * lets every peer refuse a vector masked against another roster or of the wrong length before unmasking,
 * and turn the unmasked mean back into named tensors without holding an update of its own.
 */
export interface TensorLayout {
  name: string;
  shape: number[];
}

export interface MaskedPayload {
  rosterHash: string;
  layout: TensorLayout[];
  /** Residue count: model size + 1 (slot 0 is the sample count). */
  elements: number;
  residues: Float64Array;
}

const HeaderSchema = z
  .object({
    rosterHash: z.string().regex(/^[0-9a-f]{64}$/),
    layout: z
      .array(z.object({ name: z.string().max(256), shape: z.array(z.number().int().min(0)).max(8) }).strict())
      .min(1)
      .max(4096),
  })
  .strict();

const MAX_HEADER_BYTES = 1 << 20;

/** SHA-256 over the round and every roster advert: binds a masked vector to the keys it was masked with. */
export function rosterHash(round: SecureRound): string {
  const h = createHash('sha256').update(`swarmd-secagg-roster-v1|${round.threshold}|`);
  for (const a of round.roster) h.update(advertBytes(round.ctx, a));
  for (const a of round.roster) h.update(`${a.peerId}:${round.neighbours.get(a.peerId)!.join(',')}|`);
  return h.digest('hex');
}

/** Named tensors in sorted-name order as one vector, and the layout to undo it. */
export function flattenTensors(tensors: NamedTensors): { layout: TensorLayout[]; values: Float32Array } {
  const layout = sortedNames(tensors).map((name) => ({ name, shape: [...tensors.get(name)!.shape] }));
  const total = layout.reduce((s, l) => s + tensors.get(l.name)!.data.length, 0);
  const values = new Float32Array(total);
  let at = 0;
  for (const { name } of layout) {
    values.set(tensors.get(name)!.data, at);
    at += tensors.get(name)!.data.length;
  }
  return { layout, values };
}

function layoutSize(layout: readonly TensorLayout[]): number {
  return layout.reduce((s, l) => s + l.shape.reduce((a, b) => a * b, 1), 0);
}

export function sameLayout(a: readonly TensorLayout[], b: readonly TensorLayout[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The decoded mean (float64) back to named float32 tensors: the one rounding to float32. */
export function unflattenMean(layout: readonly TensorLayout[], mean: Float64Array): NamedTensors {
  if (layoutSize(layout) !== mean.length) {
    throw new SecAggError(
      'SECAGG_LENGTH',
      `a mean of ${mean.length} values for a layout of ${layoutSize(layout)}`,
    );
  }
  const out: NamedTensors = new Map();
  let at = 0;
  for (const { name, shape } of layout) {
    const size = shape.reduce((a, b) => a * b, 1);
    out.set(name, { shape: [...shape], data: Float32Array.from(mean.subarray(at, at + size)) });
    at += size;
  }
  return out;
}

export function encodeMaskedPayload(
  hash: string,
  layout: readonly TensorLayout[],
  masked: Float64Array,
  width: number,
): Uint8Array {
  if (masked.length !== layoutSize(layout) + 1) {
    throw new SecAggError(
      'SECAGG_LENGTH',
      `masked vector of ${masked.length} for a layout of ${layoutSize(layout)}`,
    );
  }
  const header = Buffer.from(JSON.stringify({ rosterHash: hash, layout }));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([length, header, residuesToBytes(masked, width)]);
}

/** Parses a masked update; SECAGG_WIRE when it is malformed or its length disagrees with its layout. */
/** `width`: bytes per residue (residueBytes of the swarm's fixed-point parameters). */
export function decodeMaskedPayload(bytes: Uint8Array, width: number): MaskedPayload {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerBytes = buf.length >= 4 ? buf.readUInt32LE(0) : -1;
  if (headerBytes < 0 || headerBytes > MAX_HEADER_BYTES || 4 + headerBytes > buf.length) {
    throw new SecAggError('SECAGG_WIRE', 'masked update without a valid header');
  }
  let header: z.infer<typeof HeaderSchema>;
  try {
    header = HeaderSchema.parse(JSON.parse(buf.subarray(4, 4 + headerBytes).toString('utf8')));
  } catch (cause) {
    throw new SecAggError('SECAGG_WIRE', 'masked update header is not valid', { cause });
  }
  const elements = layoutSize(header.layout) + 1;
  const residues = residuesFromBytes(buf.subarray(4 + headerBytes), elements, width);
  return { ...header, elements, residues };
}
