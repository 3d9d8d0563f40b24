import { describe, expect, it } from 'vitest';
import {
  MODULUS_BITS,
  addMaskInto,
  pairSeed,
  pairSign,
  combineShares,
  createSecureRound,
  maskUpdate,
  unmask,
  x25519KeyPair,
  type FixedPointParams,
  type KeyPair,
  type RoundKeys,
  type Share,
} from '../../src/swarm/protocol/index.js';
import { maskAndReveal, setUp } from './secagg-harness.js';

/*
 * A curious member (site 0) and, where stated, t − 2 colluders record everything they legitimately hold:
 * every masked vector, the shares dealt to them, and every share revealed in the unmask phase.
 */
const params: FixedPointParams = { fractionalBits: 20, maxTotalSamples: 2 ** 20 };
const LENGTH = 100_000; // |r| of independent vectors has sd 1/√n ≈ 0.003
const M = 2 ** MODULUS_BITS;

const signed = (r: number): number => (r >= M / 2 ? r - M : r);

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [ma, mb] = [0, 0];
  for (let i = 0; i < n; i++) [ma, mb] = [ma + a[i] / n, mb + b[i] / n];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const [da, db] = [a[i] - ma, b[i] - mb];
    [sab, saa, sbb] = [sab + da * db, saa + da * da, sbb + db * db];
  }
  return sab / Math.sqrt(saa * sbb);
}

/** The update part of a vector (slot 0 is the sample count), as signed integers. */
const values = (v: Float64Array): number[] => Array.from(v.subarray(1), signed);

describe('what a curious member learns in a secure round', () => {
  const s = setUp(5, 3, LENGTH, { seed: 'privacy' });
  const [curious, colluder] = s.sites;
  const input = maskAndReveal(s, s.sites, params);
  const result = unmask(s.round, input);

  it('each masked vector is uncorrelated with its update and uniform mod 2^52', () => {
    for (const site of s.sites.slice(1)) {
      const masked = input.masked.get(site.id)!;
      expect(Math.abs(pearson(site.update, values(masked)))).toBeLessThan(0.01);
      const buckets = new Array<number>(16).fill(0);
      for (const r of masked) buckets[Math.floor(r / 2 ** (MODULUS_BITS - 4))]++;
      const expected = masked.length / 16;
      const chi2 = buckets.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
      expect(chi2).toBeLessThan(37.7); // χ²(15 df), p = 0.001
    }
  });

  it('the public self-mask seeds plus its own pair mask leave a target masked by the honest pairs', () => {
    const target = s.sites[3];
    const revealed = [...input.reveals.values()]
      .slice(0, 3)
      .map((shares) => shares.find((r) => r.dealer === target.id && r.kind === 'seed')!)
      .map((r, i) => ({ x: i + 1, y: BigInt(`0x${Buffer.from(r.y).toString('hex')}`) }));
    const seed = Buffer.from(combineShares(revealed).toString(16).padStart(64, '0'), 'hex');
    expect(seed.equals(Buffer.from(target.keys.selfSeed))).toBe(true); // public after the unmask phase
    const guess = Float64Array.from(input.masked.get(target.id)!);
    addMaskInto(guess, seed, -1);
    const ownPair = pairSeed(
      s.round.ctx,
      curious.id,
      curious.keys.mask,
      target.id,
      target.keys.mask.publicKey,
    );
    addMaskInto(guess, ownPair, pairSign(curious.id, target.id)); // cancels the target's −sign copy
    expect(Math.abs(pearson(target.update, values(guess)))).toBeLessThan(0.01);
  });

  it('t − 1 colluders cannot rebuild a site mask key from their shares, nor strip its pair masks', () => {
    const target = s.sites[3];
    const shares: Share[] = [curious, colluder].map((c) => c.held.get(target.id)!.key);
    const guessed = combineShares(shares) & ((1n << 256n) - 1n);
    const secret = Buffer.from(guessed.toString(16).padStart(64, '0'), 'hex');
    const wrongPair: KeyPair = x25519KeyPair(secret);
    expect(Buffer.from(wrongPair.publicKey).equals(Buffer.from(target.keys.mask.publicKey))).toBe(false);
    const keys: RoundKeys = { ...target.keys, mask: wrongPair };
    const stripped = maskUpdate(s.round, target.id, keys, new Float64Array(LENGTH + 1));
    const guess = input.masked.get(target.id)!.map((r, i) => (r - stripped[i] + M) % M);
    expect(Math.abs(pearson(target.update, values(guess)))).toBeLessThan(0.01);
  });

  it('with the true key (t shares) the same computation does recover the update: the test has teeth', () => {
    const target = s.sites[3];
    const stripped = maskUpdate(s.round, target.id, target.keys, new Float64Array(LENGTH + 1));
    const guess = input.masked.get(target.id)!.map((r, i) => (r - stripped[i] + M) % M);
    expect(pearson(target.update, values(guess))).toBeGreaterThan(0.999);
  });

  it('a round built from the same adverts gives every peer the same sum', () => {
    const again = createSecureRound(s.round.ctx, [...s.round.roster].reverse(), { threshold: 3 });
    expect([...unmask(again, input).sum]).toEqual([...result.sum]);
  });
});
