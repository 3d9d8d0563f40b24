import { describe, expect, it } from 'vitest';
import {
  RDP_ORDERS,
  accountedNoiseMultiplier,
  epsilonSpent,
  gaussianRdp,
  rdpToEpsilon,
  roundsWithin,
} from '../../src/swarm/protocol/index.js';
import { pythonMissing, runPython } from '../helpers/python.js';

/*
 * The accountant against an independent numpy computation of the same formulas (Gaussian RDP T·α/(2σ²),
 * Balle et al. 2020 Theorem 21 conversion), against hand-worked values, and against its limits.
 */
const NUMPY_EPSILON = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
out = []
for c in d["cases"]:
    a = np.array(d["orders"], dtype=np.float64)
    rdp = c["rounds"] * a / (2.0 * c["sigma"] ** 2)
    eps = rdp + np.log1p(-1.0 / a) - (np.log(c["delta"]) + np.log(a)) / (a - 1.0)
    # A dense grid of its own: the minimum the code's grid may miss only by a little.
    fine = np.exp(np.linspace(np.log(1.0005), np.log(1e5), 400000))
    rdp_fine = c["rounds"] * fine / (2.0 * c["sigma"] ** 2)
    eps_fine = rdp_fine + np.log1p(-1.0 / fine) - (np.log(c["delta"]) + np.log(fine)) / (fine - 1.0)
    out.append({"grid": float(max(0.0, eps.min())), "order": float(a[eps.argmin()]), "fine": float(eps_fine.min())})
print(json.dumps(out))`;

const CASES = [
  { sigma: 0.5, delta: 1e-5, rounds: 1 },
  { sigma: 1, delta: 1e-5, rounds: 1 },
  { sigma: 1, delta: 1e-5, rounds: 6 },
  { sigma: 1.1, delta: 1e-6, rounds: 100 },
  { sigma: 4, delta: 1e-5, rounds: 1000 },
  { sigma: 20, delta: 1e-3, rounds: 3 },
];

describe('privacy accountant (Gaussian mechanism, RDP composition)', () => {
  it('matches numpy on the same order grid and a dense grid of its own', (ctx) => {
    const missing = pythonMissing('numpy');
    ctx.skip(missing !== undefined, missing);
    const want = runPython<{ grid: number; order: number; fine: number }[]>(NUMPY_EPSILON, {
      cases: CASES,
      orders: RDP_ORDERS,
    });
    CASES.forEach((c, i) => {
      const got = epsilonSpent(c);
      expect(got.epsilon).toBeCloseTo(want[i].grid, 10);
      expect(got.order).toBe(want[i].order);
      // The code's grid is coarser: never below the dense optimum, and within 1 % of it.
      expect(got.epsilon).toBeGreaterThanOrEqual(want[i].fine - 1e-9);
      expect(got.epsilon).toBeLessThanOrEqual(want[i].fine * 1.01);
    });
  });

  it('gives the hand-worked values', () => {
    // σ = 1, T = 1, δ = e^−10, α = 2: RDP = 1, ε = 1 + log(1/2) + (10 − log 2)/1 = 11 − 2·log 2 = 9.6137.
    expect(gaussianRdp(2, 1, 1)).toBe(1);
    expect(rdpToEpsilon(1, 2, Math.exp(-10))).toBeCloseTo(1 - Math.LN2 + 10 - Math.LN2, 12);
    expect(rdpToEpsilon(1, 2, Math.exp(-10))).toBeCloseTo(9.6137, 4);
    // σ = 1, T = 2, δ = e^−9: the classic conversion ρ + 2√(ρ·log 1/δ) = 1 + 2·3 = 7 at its optimum α = 4;
    // Theorem 21 at α = 4 gives 4 + log(3/4) + (9 − log 4)/3 = 6.25022, and the grid minimum is no larger.
    expect(gaussianRdp(4, 1, 2) + 9 / 3).toBe(7);
    expect(rdpToEpsilon(gaussianRdp(4, 1, 2), 4, Math.exp(-9))).toBeCloseTo(6.25022, 5);
    const spent = epsilonSpent({ sigma: 1, delta: Math.exp(-9), rounds: 2 }).epsilon;
    expect(spent).toBeLessThanOrEqual(6.25022);
    expect(spent).toBeGreaterThan(6); // not far below: the optimum over α is near 4
  });

  it('is 0 before any round, grows with the rounds and falls with the noise and δ', () => {
    expect(epsilonSpent({ sigma: 1, delta: 1e-5, rounds: 0 })).toEqual({ epsilon: 0, order: null });
    const eps = (sigma: number, delta: number, rounds: number) =>
      epsilonSpent({ sigma, delta, rounds }).epsilon;
    for (let t = 1; t < 50; t++) expect(eps(1, 1e-5, t + 1)).toBeGreaterThan(eps(1, 1e-5, t));
    expect(eps(2, 1e-5, 10)).toBeLessThan(eps(1, 1e-5, 10));
    expect(eps(1, 1e-3, 10)).toBeLessThan(eps(1, 1e-5, 10));
    // Much noise: ε → 0; T rounds at σ cost the same as one round at σ/√T (composition of Gaussians).
    expect(eps(1000, 1e-5, 1)).toBeLessThan(0.02);
    expect(eps(2, 1e-5, 16)).toBeCloseTo(eps(0.5, 1e-5, 1), 10);
  });

  it('finds the most rounds within a budget', () => {
    const o = { sigma: 1, delta: 1e-5 };
    const eps = (rounds: number) => epsilonSpent({ ...o, rounds }).epsilon;
    for (const maxEpsilon of [eps(1), eps(3) + 1e-9, 8, 50]) {
      const r = roundsWithin({ ...o, maxEpsilon });
      expect(eps(r)).toBeLessThanOrEqual(maxEpsilon);
      expect(eps(r + 1)).toBeGreaterThan(maxEpsilon);
    }
    expect(roundsWithin({ ...o, maxEpsilon: eps(1) / 2 })).toBe(0);
    expect(roundsWithin({ sigma: 1e6, delta: 0.5, maxEpsilon: 10 }, 1000)).toBe(1000);
  });

  it('charges fixed-point rounding as extra sensitivity √d·2^−f', () => {
    // C = 1, d = 10^4, f = 10: Δ = 1 + 100/1024, σ_eff = σ/Δ.
    const s = accountedNoiseMultiplier({
      noiseMultiplier: 1,
      clipNorm: 1,
      coordinates: 1e4,
      fractionalBits: 10,
    });
    expect(s).toBeCloseTo(1 / (1 + 100 / 1024), 12);
    const none = accountedNoiseMultiplier({
      noiseMultiplier: 0.7,
      clipNorm: 2,
      coordinates: 0,
      fractionalBits: 20,
    });
    expect(none).toBe(0.7);
  });

  it('refuses parameters outside their range', () => {
    expect(() => epsilonSpent({ sigma: 0, delta: 1e-5, rounds: 1 })).toThrow(/noise multiplier/);
    expect(() => epsilonSpent({ sigma: 1, delta: 1, rounds: 1 })).toThrow(/delta/);
    expect(() => epsilonSpent({ sigma: 1, delta: 1e-5, rounds: 1.5 })).toThrow(/rounds/);
  });
});
