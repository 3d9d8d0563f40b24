import { PrivacyError } from './errors.js';

/*
 * The privacy accountant: the Gaussian mechanism with full participation, composed over rounds in Rényi DP
 * (Mironov 2017). One round with noise multiplier σ (noise std / L2 sensitivity) is (α, α/(2σ²))-RDP for
 * every order α > 1; T rounds add up to T·α/(2σ²). The conversion to (ε, δ)-DP is the one of Balle et al.
 * 2020 ("Hypothesis testing interpretations and Rényi differential privacy", Theorem 21; the same as Canonne,
 * Kamath & Steinke 2020, Proposition 12, and Opacus' `get_privacy_spent`):
 *   ε = min over α of  RDP(α) + log((α − 1)/α) − (log δ + log α)/(α − 1),
 * which is never above the classic RDP(α) + log(1/δ)/(α − 1) (Mironov, Proposition 3) at the same α.
 * Every input is public (σ, δ, rounds committed), so every peer computes the same ε.
 */

/** The orders searched: fine near 1 (large ε), coarse far out (tiny ε); Opacus' grid plus a long tail. */
export const RDP_ORDERS: readonly number[] = [
  ...Array.from({ length: 99 }, (_, i) => 1.1 + i / 10), // 1.1 … 10.9
  ...Array.from({ length: 53 }, (_, i) => 11 + i), // 11 … 63
  ...[64, 80, 96, 128, 160, 192, 256, 320, 384, 512, 768, 1024, 2048, 4096],
];

/** RDP of `rounds` Gaussian mechanisms with noise multiplier `sigma`, at order `alpha`. */
export function gaussianRdp(alpha: number, sigma: number, rounds: number): number {
  return (rounds * alpha) / (2 * sigma * sigma);
}

/** (ε, δ) from an RDP guarantee at one order (Balle et al. 2020, Theorem 21). */
export function rdpToEpsilon(rdp: number, alpha: number, delta: number): number {
  return rdp + Math.log((alpha - 1) / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
}

export interface PrivacySpent {
  epsilon: number;
  /** The RDP order that gave the smallest ε (null: no round counted, ε = 0). */
  order: number | null;
}

/** ε after `rounds` rounds of the Gaussian mechanism with noise multiplier `sigma`, at `delta`. */
export function epsilonSpent(o: { sigma: number; delta: number; rounds: number }): PrivacySpent {
  checkAccounting(o.sigma, o.delta);
  if (!Number.isInteger(o.rounds) || o.rounds < 0) {
    throw new PrivacyError('PRIVACY_PARAMS', `rounds must be an integer ≥ 0, got ${o.rounds}`);
  }
  if (o.rounds === 0) return { epsilon: 0, order: null };
  let best: PrivacySpent = { epsilon: Infinity, order: null };
  for (const alpha of RDP_ORDERS) {
    const epsilon = rdpToEpsilon(gaussianRdp(alpha, o.sigma, o.rounds), alpha, o.delta);
    if (epsilon < best.epsilon) best = { epsilon, order: alpha };
  }
  return { epsilon: Math.max(0, best.epsilon), order: best.order };
}

/**
 * The most rounds whose ε stays ≤ maxEpsilon (0: not even one round fits). ε grows with the rounds, so a
 * doubling search then bisection finds it; `limit` caps the answer (a budget that never runs out).
 */
export function roundsWithin(
  o: { sigma: number; delta: number; maxEpsilon: number },
  limit = 1_000_000,
): number {
  if (!(o.maxEpsilon > 0)) throw new PrivacyError('PRIVACY_PARAMS', 'maxEpsilon must be > 0');
  const fits = (rounds: number) => epsilonSpent({ ...o, rounds }).epsilon <= o.maxEpsilon;
  if (!fits(1)) return 0;
  let lo = 1;
  let hi = 2;
  while (hi <= limit && fits(hi)) [lo, hi] = [hi, hi * 2];
  if (hi > limit) return fits(limit) ? limit : bisect(lo, limit, fits);
  return bisect(lo, hi, fits);
}

/** The largest r in [lo, hi) with fits(r), given fits(lo) and not fits(hi). */
function bisect(lo: number, hi: number, fits: (r: number) => boolean): number {
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function checkAccounting(sigma: number, delta: number): void {
  if (!(sigma > 0) || !Number.isFinite(sigma)) {
    throw new PrivacyError(
      'PRIVACY_PARAMS',
      `the noise multiplier must be a finite number > 0, got ${sigma}`,
    );
  }
  if (!(delta > 0 && delta < 1)) {
    throw new PrivacyError('PRIVACY_PARAMS', `delta must be in (0, 1), got ${delta}`);
  }
}
