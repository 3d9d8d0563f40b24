import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import {
  clipUpdate,
  epsilonSpent,
  privatizeUpdate,
  residualNoiseMultiplier,
  siteNoiseStd,
  standardNormals,
} from '../../src/swarm/protocol/index.js';

/*
 * The per-site mechanism: the update is clipped to C before noise (checked with a zero random source, for
 * which Box–Muller gives exactly 0), and the noise has std σC/√m per site and σC summed over m sites
 * (checked on 2·10^5 coordinates, where the sample std is within 1 % with overwhelming probability: a
 * factor √m = 2 or √2 mistake is far outside the bound).
 */
const csprng = (n: number) => new Uint8Array(randomBytes(n));
const zeros = (n: number) => new Uint8Array(n);

function tensors(parts: Record<string, number[]>): NamedTensors {
  return new Map(
    Object.entries(parts).map(([name, v]) => [name, { shape: [v.length], data: Float32Array.from(v) }]),
  );
}

function difference(a: NamedTensors, b: NamedTensors): Float64Array {
  const names = [...a.keys()].sort();
  return Float64Array.from(names.flatMap((n) => Array.from(a.get(n)!.data, (x, i) => x - b.get(n)!.data[i])));
}

const norm = (v: ArrayLike<number>) => Math.sqrt(Array.from(v).reduce((s, x) => s + x * x, 0));

function moments(v: ArrayLike<number>): { mean: number; std: number } {
  let mean = 0;
  for (let i = 0; i < v.length; i++) mean += v[i] / v.length;
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / (v.length - 1)) };
}

describe('distributed Gaussian mechanism', () => {
  const start = tensors({ a: [0.5, -1, 2], b: [0, 0.25] });

  it('clips an update across all tensors to L2 norm ≤ C, keeping its direction', () => {
    // update (3, 0, 0 | 0, 4): norm 5, clipped to C = 1 → (0.6, 0, 0 | 0, 0.8).
    const trained = tensors({ a: [3.5, -1, 2], b: [0, 4.25] });
    const p = { clipNorm: 1, noiseMultiplier: 1, minContributors: 3 };
    const out = privatizeUpdate(start, trained, p, zeros);
    expect(out.updateNorm).toBeCloseTo(5, 6);
    expect(out.clipFactor).toBeCloseTo(0.2, 6);
    const sent = difference(out.tensors, start);
    expect(Array.from(sent)).toEqual([0.6, 0, 0, 0, 0.8].map((x) => expect.closeTo(x, 6)));
    expect(norm(sent)).toBeLessThanOrEqual(1 + 1e-6);
    // An update inside the ball is left alone.
    const small = tensors({ a: [0.6, -1, 2], b: [0, 0.25] });
    const kept = privatizeUpdate(start, small, { ...p, clipNorm: 5 }, zeros);
    expect(kept.clipFactor).toBe(1);
    expect(difference(kept.tensors, small).every((x) => x === 0)).toBe(true);
    // The same clip without noise: what a secure site applies with maxUpdateNorm before masking.
    const clipped = clipUpdate(start, trained, 1);
    expect(Array.from(difference(clipped.tensors, start))).toEqual(
      [0.6, 0, 0, 0, 0.8].map((x) => expect.closeTo(x, 6)),
    );
  });

  it("adds noise of std σC/√(m − 1) per site: σC in a sum of m sites less one curious member's own", () => {
    const d = 200_000;
    const zero = new Map([['w', { shape: [d], data: new Float32Array(d) }]]);
    const p = { clipNorm: 0.8, noiseMultiplier: 1.5, minContributors: 5 };
    expect(siteNoiseStd(p)).toBeCloseTo((1.5 * 0.8) / 2, 12);
    // Against c = 2 colluders: each site adds (σC)²/(m − 2).
    expect(siteNoiseStd({ ...p, maxColluders: 2 })).toBeCloseTo((1.5 * 0.8) / Math.sqrt(3), 12);
    const sum = new Float64Array(d);
    // The sum of m sites less the curious member's own noise: the other m − 1 sites' noise.
    for (let site = 1; site < p.minContributors; site++) {
      const noise = privatizeUpdate(zero, zero, p, csprng).tensors.get('w')!.data;
      const m = moments(noise);
      expect(Math.abs(m.mean)).toBeLessThan(0.01);
      expect(m.std / siteNoiseStd(p)).toBeGreaterThan(0.99);
      expect(m.std / siteNoiseStd(p)).toBeLessThan(1.01);
      noise.forEach((x, i) => (sum[i] += x));
    }
    const total = moments(sum).std / (p.noiseMultiplier * p.clipNorm);
    expect(total).toBeGreaterThan(0.99);
    expect(total).toBeLessThan(1.01);
  });

  it('states ε against one curious member and against colluders (issue 19: σ 1, 6 rounds, δ 1e-5, m 3)', () => {
    const p = { clipNorm: 1, noiseMultiplier: 1, minContributors: 3 };
    // Before: noise σC/√m, so one member left σ√(2/3) (ε 17.8 where 13.8 was reported), two σ√(1/3) (28.0).
    expect(residualNoiseMultiplier(p, 1, 1)).toBe(1);
    expect(residualNoiseMultiplier(p, 1, 2)).toBeCloseTo(Math.sqrt(1 / 2), 12);
    expect(residualNoiseMultiplier(p, 1, 0)).toBeCloseTo(Math.sqrt(3 / 2), 12);
    const eps = (sigma: number) => epsilonSpent({ sigma, delta: 1e-5, rounds: 6 }).epsilon;
    expect(eps(residualNoiseMultiplier(p, 1, 1))).toBeCloseTo(13.8, 1);
    expect(eps(Math.sqrt(2 / 3))).toBeCloseTo(17.8, 1);
    expect(eps(Math.sqrt(1 / 3))).toBeCloseTo(28.0, 1);
    // maxColluders 1 of 4: σ holds against one, and one curious member is the same case.
    const q = { ...p, minContributors: 4, maxColluders: 1 };
    expect(residualNoiseMultiplier(q, 1, 1)).toBe(1);
  });

  it('draws standard normals from the byte source: Gaussian mass at 1σ and 2σ, fresh each call', () => {
    const z = standardNormals(200_001, csprng);
    expect(z.length).toBe(200_001);
    const within = (k: number) => z.filter((x) => Math.abs(x) < k).length / z.length;
    expect(within(1)).toBeCloseTo(0.6827, 2);
    expect(within(2)).toBeCloseTo(0.9545, 2);
    expect(standardNormals(8, csprng)).not.toEqual(standardNormals(8, csprng));
    expect(standardNormals(3, zeros).every((x) => x === 0)).toBe(true);
  });

  it('refuses start weights of another shape and out-of-range parameters', () => {
    const p = { clipNorm: 1, noiseMultiplier: 1, minContributors: 3 };
    expect(() => privatizeUpdate(start, tensors({ a: [1, 2, 3] }), p, zeros)).toThrow(/differ/);
    expect(() => privatizeUpdate(start, tensors({ a: [1, 2] }), p, zeros)).toThrow(/differ/);
    expect(() => privatizeUpdate(start, start, { ...p, clipNorm: 0 }, zeros)).toThrow(/clipNorm/);
    expect(() => privatizeUpdate(start, start, { ...p, minContributors: 1 }, zeros)).toThrow(
      /minContributors/,
    );
    expect(() => privatizeUpdate(start, start, { ...p, maxColluders: 3 }, zeros)).toThrow(/maxColluders/);
  });
});
