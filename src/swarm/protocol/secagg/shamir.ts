import { SecAggError } from './errors.js';
import type { RandomBytes } from './keys.js';

/*
 * Shamir t-of-n secret sharing over GF(p), p = 2^521 − 1 (a Mersenne prime): any 32-byte secret is one
 * field element, a share is (x, y) with x ≥ 1 the holder's position and y a 66-byte element.
 * Any t shares give the secret by Lagrange interpolation at 0; t − 1 shares are uniform and say nothing.
 */
export const FIELD_PRIME = (1n << 521n) - 1n;
export const SHARE_VALUE_BYTES = 66;
/** Random bytes per coefficient: 640 bits reduced mod a 521-bit prime, bias < 2^−119. */
const COEFFICIENT_BYTES = 80;

export interface Share {
  x: number;
  y: bigint;
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Big-endian, exactly `length` bytes; SECAGG_SHARE if `v` does not fit. */
export function bigintToBytes(v: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let rest = v;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n || v < 0n) throw new SecAggError('SECAGG_SHARE', `value does not fit in ${length} bytes`);
  return out;
}

const mod = (a: bigint): bigint => ((a % FIELD_PRIME) + FIELD_PRIME) % FIELD_PRIME;

/** Shares of `secret` for holders at positions `xs` (distinct, ≥ 1); any `threshold` of them recover it. */
export function splitSecret(
  secret: Uint8Array,
  threshold: number,
  xs: readonly number[],
  random: RandomBytes,
): Share[] {
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > xs.length) {
    throw new SecAggError('SECAGG_THRESHOLD', `threshold ${threshold} must be in 1..${xs.length} (holders)`);
  }
  if (new Set(xs).size !== xs.length || xs.some((x) => !Number.isInteger(x) || x < 1)) {
    throw new SecAggError('SECAGG_SHARE', 'share positions must be distinct integers ≥ 1');
  }
  const coefficients = [bytesToBigint(secret)];
  for (let k = 1; k < threshold; k++) coefficients.push(mod(bytesToBigint(random(COEFFICIENT_BYTES))));
  return xs.map((x) => ({ x, y: evaluate(coefficients, BigInt(x)) }));
}

function evaluate(coefficients: readonly bigint[], x: bigint): bigint {
  let acc = 0n;
  for (let k = coefficients.length - 1; k >= 0; k--) acc = mod(acc * x + coefficients[k]);
  return acc;
}

/** The polynomial's value at 0 through exactly the given shares (the caller picks t of them). */
export function combineShares(shares: readonly Share[]): bigint {
  if (shares.length === 0 || new Set(shares.map((s) => s.x)).size !== shares.length) {
    throw new SecAggError('SECAGG_SHARE', 'need at least one share and distinct share positions');
  }
  let secret = 0n;
  for (const si of shares) {
    let num = 1n;
    let den = 1n;
    for (const sj of shares) {
      if (sj === si) continue;
      num = mod(num * BigInt(sj.x));
      den = mod(den * BigInt(sj.x - si.x));
    }
    secret = mod(secret + si.y * num * inverse(den));
  }
  return secret;
}

/** Modular inverse by the extended Euclidean algorithm (den ≠ 0 since positions are distinct and < p). */
function inverse(a: bigint): bigint {
  let [r0, r1] = [FIELD_PRIME, mod(a)];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  return mod(t0);
}
