import { sortedNames, type NamedTensors } from '../../../core/index.js';
import { PrivacyError } from './errors.js';
import type { RandomBytes } from '../secagg/index.js';
import { standardNormals } from './gaussian.js';

/*
 * Distributed Gaussian mechanism over secure aggregation (DP-FedAvg, McMahan et al. 2018, with the noise
 * split across sites). The unit of privacy is one site's contribution to one round. Each site clips its
 * update (trained weights − the round's start weights, every tensor flattened into one vector) to L2 norm
 * ≤ C and adds N(0, (σC)²/(m − k)) per coordinate, m being the fewest contributors any unmasked sum has and
 * k = max(1, c) the members that may subtract their own noise from it (one curious member, or c colluders).
 * The sum of n ≥ m sites, less the noise of any k of them, then carries variance ≥ (σC)² per coordinate: the
 * Gaussian mechanism with noise multiplier σ on a sum of sensitivity C, against those k, whoever dropped out.
 */
export interface DistributedGaussian {
  clipNorm: number;
  noiseMultiplier: number;
  /** m: the fewest contributors an unmasked sum has (max(t, minPeers)). */
  minContributors: number;
  /** c: members that may collude (default 0); σ holds against max(1, c) of them. */
  maxColluders?: number;
}

/** k = max(1, c): the members whose own noise the configured σ is measured without. */
export function noiseWithheld(p: DistributedGaussian): number {
  return Math.max(1, p.maxColluders ?? 0);
}

/** Standard deviation of one site's noise per coordinate: σ·C/√(m − k). */
export function siteNoiseStd(p: DistributedGaussian): number {
  return (p.noiseMultiplier * p.clipNorm) / Math.sqrt(p.minContributors - noiseWithheld(p));
}

/**
 * The noise multiplier left in the smallest sum when `subtracting` members take out their own noise:
 * σ·√((m − subtracting)/(m − k)) for the `sigma` the accountant uses. 1: one curious member; c: colluders.
 */
export function residualNoiseMultiplier(p: DistributedGaussian, sigma: number, subtracting: number): number {
  const m = p.minContributors;
  return sigma * Math.sqrt((m - Math.min(subtracting, m - 1)) / (m - noiseWithheld(p)));
}

/**
 * The noise multiplier the accountant uses, with rounding charged to the sensitivity. A site's noised
 * weights are rounded twice before they are masked: to float32 (error ≤ 2^−22 per coordinate while
 * |w| < 8) and to the fixed-point grid 2^−f (error ≤ 2^−(f+1)). That rounding depends on the site's data, so
 * it is counted as extra sensitivity: ≤ 2^−f per coordinate (for f ≤ 21), √d·2^−f in L2, so
 * Δ = C + √d·2^−f and σ_eff = σ·C/Δ. This is the conventional engineering treatment, not an exact analysis
 * of rounding after continuous noise (that is the distributed discrete Gaussian, Kairouz, Liu & Steinke
 * 2021); at f = 20 it changes σ by √d·10^−6/C, e.g. 0.01 % for d = 10^4 and C = 1.
 */
export function accountedNoiseMultiplier(
  p: Omit<DistributedGaussian, 'minContributors'> & { coordinates: number; fractionalBits: number },
): number {
  const sensitivity = p.clipNorm + Math.sqrt(p.coordinates) * 2 ** -p.fractionalBits;
  return (p.noiseMultiplier * p.clipNorm) / sensitivity;
}

export interface PrivatizedUpdate {
  /** start + clipped update + noise, what the site masks and sends. */
  tensors: NamedTensors;
  /** ‖trained − start‖₂ before clipping (operators tune C from it). */
  updateNorm: number;
  /** The factor the update was scaled by: min(1, C / norm). */
  clipFactor: number;
}

/**
 * Scales the round's update (trained − start, all tensors as one vector) down to ‖·‖₂ ≤ clipNorm: the bound
 * a site applies to its own update before masking (a masked vector cannot be checked by anyone else).
 */
export function clipUpdate(start: NamedTensors, trained: NamedTensors, clipNorm: number): PrivatizedUpdate {
  return shiftUpdate(start, trained, clipNorm, () => 0);
}

/** Clips the round's update to ‖·‖₂ ≤ C and adds this site's share of the noise, with `random` as source. */
export function privatizeUpdate(
  start: NamedTensors,
  trained: NamedTensors,
  p: DistributedGaussian,
  random: RandomBytes,
): PrivatizedUpdate {
  checkMechanism(p);
  const std = siteNoiseStd(p);
  return shiftUpdate(start, trained, p.clipNorm, (n) => standardNormals(n, random).map((z) => std * z));
}

/** start + min(1, C/‖trained − start‖)·(trained − start) + noise(n), in float64, rounded once to float32. */
function shiftUpdate(
  start: NamedTensors,
  trained: NamedTensors,
  clipNorm: number,
  noise: (n: number) => ArrayLike<number> | 0,
): PrivatizedUpdate {
  const names = sortedNames(trained);
  if (names.length !== start.size) {
    throw new PrivacyError('PRIVACY_SHAPE', "the trained tensors differ from the round's start weights");
  }
  let squares = 0;
  for (const name of names) {
    const t = trained.get(name)!;
    const s = start.get(name);
    if (s === undefined || s.data.length !== t.data.length) {
      throw new PrivacyError('PRIVACY_SHAPE', `tensor ${name} differs from the round's start weights`);
    }
    for (let i = 0; i < t.data.length; i++) squares += (t.data[i] - s.data[i]) ** 2;
  }
  const updateNorm = Math.sqrt(squares);
  const clipFactor = updateNorm > clipNorm ? clipNorm / updateNorm : 1;
  const tensors: NamedTensors = new Map();
  for (const name of names) {
    const t = trained.get(name)!;
    const s = start.get(name)!.data;
    const z = noise(t.data.length);
    const at = (i: number) => (z === 0 ? 0 : z[i]);
    const data = Float32Array.from(t.data, (w, i) => s[i] + clipFactor * (w - s[i]) + at(i));
    tensors.set(name, { shape: [...t.shape], data });
  }
  return { tensors, updateNorm, clipFactor };
}

function checkMechanism(p: DistributedGaussian): void {
  const ok = p.clipNorm > 0 && p.noiseMultiplier > 0 && Number.isInteger(p.minContributors);
  if (!ok || p.minContributors <= noiseWithheld(p) || !Number.isFinite(p.clipNorm * p.noiseMultiplier)) {
    throw new PrivacyError(
      'PRIVACY_PARAMS',
      'clipNorm and noiseMultiplier must be finite and > 0, minContributors an integer above max(1, ' +
        `maxColluders) (got ${JSON.stringify(p)})`,
    );
  }
}
