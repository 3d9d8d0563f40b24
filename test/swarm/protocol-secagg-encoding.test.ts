import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FIXED_POINT,
  FIELD_PRIME,
  addInto,
  combineShares,
  decodeSum,
  decodeTotal,
  encodeUpdate,
  fixedPointRange,
  residueBytes,
  residuesFromBytes,
  residuesToBytes,
  splitSecret,
  statisticsFixedPoint,
} from '../../src/swarm/protocol/index.js';
import { seededRandom } from './secagg-harness.js';

const params = { fractionalBits: 4, maxTotalSamples: 1000 };
const M = 2 ** 52;

describe('round 0: statistics as a sum in their own range', () => {
  it('sums weight-1 encodings to the exact total of the quantised values (hand-worked)', () => {
    const p = statisticsFixedPoint(3);
    // |x| ≤ ⌊(2^51 − 1)/3⌋ / 2^12 ≈ 1.83e11, error ≤ 2^-13.
    expect(fixedPointRange(p).maxAbsValue).toBeCloseTo(Math.floor((2 ** 51 - 1) / 3) / 4096, 3);
    expect(fixedPointRange(p).maxError).toBe(2 ** -13);
    // count, sum, sum of squares of three sites; 0.1 quantises to round(409.6) = 410 / 4096.
    const sites = [
      [120, 37.5, 1e9],
      [80, -12.25, 2.5e10],
      [5, 0.1, 0],
    ];
    const sum = encodeUpdate(sites[0], 1, p);
    addInto(sum, encodeUpdate(sites[1], 1, p));
    addInto(sum, encodeUpdate(sites[2], 1, p));
    const { weight, total } = decodeTotal(sum, p);
    expect(weight).toBe(3);
    expect([...total]).toEqual([205, 25.25 + 410 / 4096, 2.6e10]);
    // Raw counts' sums of squares beyond the range are refused at the site, saying what to do.
    expect(() => encodeUpdate([1e12], 1, p)).toThrow(/outside ±.*the fixed-point range/);
    expect(() => encodeUpdate([1], 1, statisticsFixedPoint(2))).not.toThrow();
  });
});

describe('fixed-point encoding mod 2^52', () => {
  it('encodes the sample count and s · round(x · 2^f), negatives as residues (hand-worked)', () => {
    // 2^4 = 16: 0.5 → 8, −1.03 → floor(−16.48 + 0.5) = −16, 0.03125 → floor(0.5 + 0.5) = 1 (ties up)
    const v = encodeUpdate([0.5, -1.03, 0.03125], 3, params);
    expect([...v]).toEqual([3, 24, M - 48, 3]);
  });

  it('decodes a sum to the FedAvg of the quantised updates', () => {
    const sum = encodeUpdate([0.5, -1.03], 3, params);
    addInto(sum, encodeUpdate([1.0, 2.0], 1, params));
    const { samples, mean } = decodeSum(sum, params);
    expect(samples).toBe(4);
    // (3 · 8 + 1 · 16) / (4 · 16) = 0.625; (3 · −16 + 1 · 32) / 64 = −0.25
    expect([...mean]).toEqual([0.625, -0.25]);
  });

  it('refuses a value outside the range with a message that says what to do', () => {
    const { maxAbsValue } = fixedPointRange(params);
    expect(maxAbsValue).toBe(Math.floor((2 ** 51 - 1) / 1000) / 16);
    expect(() => encodeUpdate([0, maxAbsValue * 1.01], 1, params)).toThrow(/index 1 .*clip the update/);
    expect(() => encodeUpdate([NaN], 1, params)).toThrow(/fixed-point range/);
    expect(() => encodeUpdate([0], 1001, params)).toThrow(/maxTotalSamples/);
  });

  it('documents the default range and precision', () => {
    expect(fixedPointRange(DEFAULT_FIXED_POINT)).toEqual({
      maxAbsValue: 2048 - 2 ** -20,
      maxError: 2 ** -21,
    });
    expect(() => fixedPointRange({ fractionalBits: 40, maxTotalSamples: 2 ** 20 })).toThrow(/lower one/);
  });

  it('refuses a sum whose sample count is out of bounds (not fully unmasked)', () => {
    expect(() => decodeSum(Float64Array.from([M - 5, 1]), params)).toThrow(/not fully unmasked/);
  });

  it('round-trips the wire form (7 bytes per 52-bit residue) and rejects wrong lengths and residues ≥ 2^52', () => {
    expect(residueBytes(params)).toBe(7);
    const v = Float64Array.from([0, 1, M - 1, 2 ** 32, 123456789012345]);
    const bytes = residuesToBytes(v, 7);
    expect(bytes.length).toBe(35);
    expect(Buffer.from(bytes.subarray(14, 21)).readUIntLE(0, 6)).toBe((M - 1) % 2 ** 48);
    expect(bytes[20]).toBe(0x0f);
    expect([...residuesFromBytes(bytes, 5, 7)]).toEqual([...v]);
    expect(() => residuesFromBytes(bytes, 4, 7)).toThrow(/expected 28/);
    const bad = bytes.slice();
    bad[6] = 0x10;
    expect(() => residuesFromBytes(bad, 5, 7)).toThrow(/element 0 is not below 2\^52/);
  });

  it('narrows the wire to the range: |x| ≤ 1, f = 8, 100 samples fit 1 + 8 + 7 bits in 2 bytes, exactly', () => {
    // |Σ s·q| ≤ 256 · 100 = 25600 < 2^15: 16 bits with the sign, so residues travel mod 2^16.
    const narrow = { fractionalBits: 8, maxTotalSamples: 100, maxAbsValue: 1 };
    expect(residueBytes(narrow)).toBe(2);
    const a = encodeUpdate([0.5, -1, 0.25], 60, narrow);
    const b = encodeUpdate([-0.25, 1, -1], 40, narrow);
    // Masked with a uniform pad mod 2^52 that cancels: only the low 16 bits travel.
    const pad = Float64Array.from([M - 12345, 2 ** 40 + 7, 99, M - 1]);
    addInto(a, pad);
    addInto(
      b,
      Float64Array.from(pad, (p) => (M - p) % M),
    );
    const sum = residuesFromBytes(residuesToBytes(a, 2), 4, 2);
    addInto(sum, residuesFromBytes(residuesToBytes(b, 2), 4, 2));
    const { samples, mean } = decodeSum(sum, narrow);
    expect(samples).toBe(100);
    expect([...mean]).toEqual([(60 * 0.5 - 40 * 0.25) / 100, (-60 + 40) / 100, (60 * 0.25 - 40) / 100]);
    expect(() => encodeUpdate([1.01], 1, narrow)).toThrow(/outside ±1/);
  });
});

describe('Shamir sharing over GF(2^521 − 1)', () => {
  const secret = seededRandom('secret')(32);
  const secretValue = BigInt(`0x${Buffer.from(secret).toString('hex')}`);
  const random = seededRandom('coefficients');

  it('any t of n shares rebuild the secret', () => {
    const shares = splitSecret(secret, 3, [1, 2, 3, 4, 5], random);
    for (const subset of [
      [0, 1, 2],
      [2, 3, 4],
      [0, 2, 4],
      [4, 1, 3],
    ]) {
      expect(combineShares(subset.map((i) => shares[i]))).toBe(secretValue);
    }
    expect(combineShares(shares)).toBe(secretValue); // more than t lie on the same polynomial
  });

  it('t − 1 shares rebuild something else', () => {
    const shares = splitSecret(secret, 4, [1, 2, 3, 4, 5, 6], random);
    for (const subset of [
      [0, 1, 2],
      [3, 4, 5],
    ]) {
      const guess = combineShares(subset.map((i) => shares[i]));
      expect(guess).not.toBe(secretValue);
      expect(guess < FIELD_PRIME).toBe(true);
    }
  });

  it('checks a degree-1 sharing by hand: f(x) = s + a·x', () => {
    const shares = splitSecret(Uint8Array.from([5]), 2, [1, 2], () => Uint8Array.from([7]));
    expect(shares.map((s) => s.y)).toEqual([12n, 19n]);
  });

  it('refuses a threshold above the holders and repeated positions', () => {
    expect(() => splitSecret(secret, 4, [1, 2, 3], random)).toThrow(/threshold 4/);
    expect(() => splitSecret(secret, 2, [1, 1, 3], random)).toThrow(/distinct/);
  });
});
