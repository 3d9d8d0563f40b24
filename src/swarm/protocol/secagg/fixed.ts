import { SecAggError } from './errors.js';

/*
 * Fixed point mod 2^52, held in a Float64Array. Every integer below 2^53 is exact in a double, so a sum of
 * two residues (< 2^53) is exact and one conditional subtraction reduces it: exact modular arithmetic at
 * typed-array speed, no BigInt (≈ 50× slower per element) and no carries between two Uint32 halves.
 * The price is range: a decoded sum must lie in (−2^51, 2^51), and the budget below guarantees it.
 *
 * Layout of an encoded vector (length L + 1): slot 0 = sample count s, slot 1 + j = s · q_j with
 * q_j = floor(x_j · 2^f + 0.5) (round to nearest, ties up). Summed over contributors, slot 0 is Σ s and
 * slot 1 + j is Σ s · q_j, so decoding gives Σ s_i x̂_i / Σ s_i: the FedAvg of the quantised updates x̂ = q/2^f.
 *
 * Range: with S = maxTotalSamples, every |q| ≤ qMax = ⌊(2^51 − 1)/S⌋, so |Σ s_i q_i| ≤ qMax · Σ s_i < 2^51
 * whatever the number of contributors, as long as their samples add up to ≤ S (checked when decoding).
 * Precision: quantisation error ≤ 2^−(f+1) per weight. Defaults f = 20, S = 2^20: |x| ≤ 2048, error ≤ 4.8e−7.
 */
export const MODULUS_BITS = 52;
export const MODULUS = 2 ** MODULUS_BITS;
const HALF = 2 ** (MODULUS_BITS - 1);

export interface FixedPointParams {
  /** Bits after the binary point: resolution 2^−f. */
  fractionalBits: number;
  /** Upper bound on the samples of all contributors of a round together. */
  maxTotalSamples: number;
  /** Largest |x| a contributor encodes; below the 52-bit bound it narrows the wire (residueBytes). */
  maxAbsValue?: number;
}

export const DEFAULT_FIXED_POINT: FixedPointParams = { fractionalBits: 20, maxTotalSamples: 2 ** 20 };

/**
 * Round 0 (feature statistics: counts, sums, sums of squares) is a sum, not a weighted mean: each site
 * encodes with weight 1, so slot 0 counts the contributors (at most the members). 12 fractional bits leave
 * |x| ≤ 2^39 / members (≈ 1.8e11 for 3 sites, 8.6e9 for 64) at ≤ 1.2e-4 per value: sums of squares of
 * log-scale data fit; raw counts in the thousands over 10^5 rows do not (the site is told to log-transform).
 */
export function statisticsFixedPoint(members: number): FixedPointParams {
  return { fractionalBits: 12, maxTotalSamples: Math.max(1, members) };
}

export interface FixedPointRange {
  /** Largest |x| a contributor may encode. */
  maxAbsValue: number;
  /** Largest rounding error per weight. */
  maxError: number;
}

/** The value range and precision `params` give, or SECAGG_PARAMS if they leave no room for |x| ≤ 1. */
export function fixedPointRange(params: FixedPointParams): FixedPointRange {
  const qMax = maxQuantised(params);
  return { maxAbsValue: qMax / 2 ** params.fractionalBits, maxError: 2 ** -(params.fractionalBits + 1) };
}

function maxQuantised({ fractionalBits: f, maxTotalSamples: s, maxAbsValue }: FixedPointParams): number {
  if (!Number.isInteger(f) || f < 0 || !Number.isSafeInteger(s) || s < 1) {
    throw new SecAggError('SECAGG_PARAMS', 'fractionalBits must be an integer ≥ 0, maxTotalSamples ≥ 1');
  }
  const bound = maxAbsValue === undefined ? Infinity : Math.floor(maxAbsValue * 2 ** f);
  const qMax = Math.min(bound, Math.floor((HALF - 1) / s));
  if (qMax < 2 ** f) {
    throw new SecAggError(
      'SECAGG_PARAMS',
      `fractionalBits ${f} with maxTotalSamples ${s} cannot even encode |x| ≤ 1 in 52 bits; lower one of them`,
    );
  }
  return qMax;
}

/** Encodes one contributor's update and sample count; SECAGG_RANGE names the first value out of range. */
export function encodeUpdate(
  update: ArrayLike<number>,
  samples: number,
  params: FixedPointParams,
): Float64Array {
  const qMax = maxQuantised(params);
  if (!Number.isSafeInteger(samples) || samples < 1 || samples > params.maxTotalSamples) {
    throw new SecAggError(
      'SECAGG_SAMPLES',
      `sample count ${samples} must be an integer in 1..${params.maxTotalSamples} (maxTotalSamples)`,
    );
  }
  const scale = 2 ** params.fractionalBits;
  const out = new Float64Array(update.length + 1);
  out[0] = samples;
  for (let j = 0; j < update.length; j++) {
    const q = Math.floor(update[j] * scale + 0.5);
    if (!(Math.abs(q) <= qMax)) {
      throw new SecAggError(
        'SECAGG_RANGE',
        `value ${update[j]} at index ${j} is outside ±${qMax / scale}, the fixed-point range; clip the ` +
          'update, or lower fractionalBits or maxTotalSamples',
      );
    }
    const v = samples * q; // |v| < 2^51: exact
    out[j + 1] = v < 0 ? v + MODULUS : v;
  }
  return out;
}

export interface DecodedSum {
  /** Σ samples of the contributors in the sum. */
  samples: number;
  /** Σ s_i x̂_i / Σ s_i in float64 (the exact integer quotient, rounded once). */
  mean: Float64Array;
}

/** Decodes an unmasked sum back to the sample-weighted mean of the quantised updates. */
export function decodeSum(sum: Float64Array, params: FixedPointParams): DecodedSum {
  maxQuantised(params);
  const samples = sum[0] % wireModulus(residueBytes(params));
  if (sum.length < 1 || !(samples >= 1 && samples <= params.maxTotalSamples)) {
    throw new SecAggError(
      'SECAGG_SAMPLES',
      `the summed sample count ${samples} is outside 1..${params.maxTotalSamples}: a contributor sent a ` +
        'wrong count or the sum was not fully unmasked',
    );
  }
  const divisor = samples * 2 ** params.fractionalBits;
  const mean = new Float64Array(sum.length - 1);
  const wire = wireModulus(residueBytes(params));
  for (let j = 0; j < mean.length; j++) {
    const r = sum[j + 1] % wire;
    mean[j] = (r >= wire / 2 ? r - wire : r) / divisor;
  }
  return { samples, mean };
}

/** An unmasked sum of weight-1 encodings (round 0) back to Σ x̂: the weight (contributors) and the total. */
export function decodeTotal(
  sum: Float64Array,
  params: FixedPointParams,
): { weight: number; total: Float64Array } {
  const { samples: weight, mean } = decodeSum(sum, params);
  // mean = Σq / (weight · 2^f) in float64 from an exact integer; Σq / 2^f directly avoids a second rounding.
  const wire = wireModulus(residueBytes(params));
  const total = new Float64Array(mean.length);
  for (let j = 0; j < total.length; j++) {
    const r = sum[j + 1] % wire;
    total[j] = (r >= wire / 2 ? r - wire : r) / 2 ** params.fractionalBits;
  }
  return { weight, total };
}

/** a ← a + b mod 2^52, element-wise. */
export function addInto(a: Float64Array, b: Float64Array): void {
  checkSameLength(a, b);
  for (let i = 0; i < a.length; i++) {
    const s = a[i] + b[i];
    a[i] = s >= MODULUS ? s - MODULUS : s;
  }
}

export function checkSameLength(a: Float64Array, b: Float64Array): void {
  if (a.length !== b.length) {
    throw new SecAggError('SECAGG_LENGTH', `vector of length ${b.length} where ${a.length} was expected`);
  }
}

/**
 * Bytes per residue on the wire: the fewest whole bytes that hold every decodable sum (|Σ| ≤ qMax · S, plus a
 * sign bit), at most 7 (52 bits). A masked vector travels mod 2^(8 · bytes) (mod 2^52 at 7): the low bits of
 * a uniform mask are uniform, so every residue is still a one-time pad, and since 2^(8 · bytes) divides 2^52
 * the sum reduced mod 2^(8 · bytes) is the true sum, which fits. Defaults: 52 bits → 7 bytes (not 8).
 */
export function residueBytes(params: FixedPointParams): number {
  const bits = 1 + Math.ceil(Math.log2(maxQuantised(params) * params.maxTotalSamples + 1));
  return Math.min(Math.ceil(MODULUS_BITS / 8), Math.ceil(bits / 8));
}

/** The wire modulus 2^bits for `width` bytes per residue. */
function wireModulus(width: number): number {
  return 2 ** Math.min(MODULUS_BITS, 8 * width);
}

/** Wire form: each residue mod 2^(8 · width), little-endian in `width` bytes (1..7). */
export function residuesToBytes(v: Float64Array, width: number): Uint8Array {
  checkWidth(width);
  const wire = wireModulus(width);
  const out = new Uint8Array(v.length * width);
  const view = new DataView(out.buffer);
  for (let i = 0, at = 0; i < v.length; i++, at += width) {
    const r = v[i] % wire;
    const lo = r % 4294967296;
    if (width >= 4) view.setUint32(at, lo, true);
    else for (let b = 0; b < width; b++) out[at + b] = (lo >>> (8 * b)) & 255;
    for (let b = 4, hi = (r - lo) / 4294967296; b < width; b++, hi >>>= 8) out[at + b] = hi & 255;
  }
  return out;
}

/** Parses the wire form; SECAGG_WIRE if the length is not `elements` · `width` or a residue is ≥ 2^52. */
export function residuesFromBytes(bytes: Uint8Array, elements: number, width: number): Float64Array {
  checkWidth(width);
  if (bytes.length !== elements * width) {
    throw new SecAggError(
      'SECAGG_WIRE',
      `masked vector of ${bytes.length} bytes, expected ${elements * width} (${width} per residue)`,
    );
  }
  const wire = wireModulus(width);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(elements);
  for (let i = 0, at = 0; i < elements; i++, at += width) {
    let lo = 0;
    if (width >= 4) lo = view.getUint32(at, true);
    else for (let b = 0; b < width; b++) lo += bytes[at + b] * BYTE_WEIGHT[b];
    let hi = 0;
    for (let b = 4; b < width; b++) hi += bytes[at + b] * BYTE_WEIGHT[b - 4];
    const r = hi * 4294967296 + lo;
    if (r >= wire) throw new SecAggError('SECAGG_WIRE', `masked vector element ${i} is not below 2^52`);
    out[i] = r;
  }
  return out;
}

const BYTE_WEIGHT = [1, 256, 65536, 16777216];

function checkWidth(width: number): void {
  if (!Number.isInteger(width) || width < 1 || width > Math.ceil(MODULUS_BITS / 8)) {
    throw new SecAggError('SECAGG_PARAMS', `${width} bytes per residue: must be 1..7`);
  }
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Byte-swaps 32-bit words in place on a big-endian host, so the wire and the PRG read the same everywhere. */
export function littleEndian(bytes: Uint8Array): Uint8Array {
  if (!HOST_IS_LITTLE_ENDIAN) {
    for (let i = 0; i + 3 < bytes.length; i += 4) {
      [bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]] = [
        bytes[i + 3],
        bytes[i + 2],
        bytes[i + 1],
        bytes[i],
      ];
    }
  }
  return bytes;
}
