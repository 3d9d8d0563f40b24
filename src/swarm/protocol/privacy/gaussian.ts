import type { RandomBytes } from '../secagg/index.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/**
 * n independent N(0, 1) samples by the Box–Muller transform over 53-bit uniforms read from `random`
 * (never Math.random: a predictable noise source could be subtracted again). Each pair of normals takes
 * 16 bytes: u1 ∈ (0, 1] (so log u1 is finite) and u2 ∈ [0, 1).
 */
export function standardNormals(n: number, random: RandomBytes): Float64Array {
  const pairs = Math.ceil(n / 2);
  const bytes = random(pairs * 16);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const uniform = (at: number) =>
    ((view.getUint32(at + 4, true) >>> 11) * TWO_POW_32 + view.getUint32(at, true)) / TWO_POW_53;
  const out = new Float64Array(n);
  for (let p = 0; p < pairs; p++) {
    const u1 = 1 - uniform(p * 16);
    const u2 = uniform(p * 16 + 8);
    const radius = Math.sqrt(-2 * Math.log(u1));
    out[2 * p] = radius * Math.cos(2 * Math.PI * u2);
    if (2 * p + 1 < n) out[2 * p + 1] = radius * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
