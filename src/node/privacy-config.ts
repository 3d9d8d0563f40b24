import { z } from 'zod';
import {
  accountedNoiseMultiplier,
  chooseThreshold,
  defaultMaxColluders,
  minSenders,
  residualNoiseMultiplier,
  SecAggError,
  shareHolders,
  DEFAULT_FIXED_POINT,
  epsilonSpent,
  roundsWithin,
  fixedPointRange,
  siteNoiseStd,
  type DistributedGaussian,
} from '../swarm/index.js';
import type { SecureAggregationConfig } from './aggregation-config.js';

/*
 * Optional distributed differential privacy (swarm config `privacy`, issue 7). Site-level DP-FedAvg: each
 * site clips its round update to L2 ≤ clipNorm and adds its share of Gaussian noise, so that the masked
 * sum carries noise of std noiseMultiplier·clipNorm. It needs `aggregation: secure`: with plain
 * aggregation every member receives each site's update with only that site's 1/m share of the noise.
 * With privacy on, sites merge with equal weights (each reports 1 sample): a sample count in the sum would
 * be one more thing about a site's data that the noise does not cover.
 */
export const PrivacySchema = z
  .object({
    /** Largest L2 norm of one site's round update (all tensors flattened); larger ones are scaled down. */
    clipNorm: z.number().positive('privacy.clipNorm must be > 0: the largest L2 norm of a site update'),
    /** σ: std of the summed noise per coordinate ÷ clipNorm. */
    noiseMultiplier: z.number().positive('privacy.noiseMultiplier must be > 0 (0.5–2 is usual)'),
    /** δ of the (ε, δ) guarantee; well below 1 / number of sites. */
    delta: z
      .number()
      .gt(0, 'privacy.delta must be > 0')
      .max(0.01, 'privacy.delta must be ≤ 0.01: it is the chance the guarantee fails (1e-5 is usual)'),
    /** Stop contributing before a round that would take ε above this; absent: no limit, ε still reported. */
    maxEpsilon: z.number().positive('privacy.maxEpsilon must be > 0').optional(),
  })
  .strict();

export type PrivacyConfig = z.infer<typeof PrivacySchema>;

interface PrivacyFields {
  aggregation: 'plain' | 'secure';
  secure: SecureAggregationConfig;
  minPeers: number;
  members: readonly unknown[];
  privacy?: PrivacyConfig;
}

/** Refuses `privacy` without secure aggregation, and a maxEpsilon that not even one round fits in. */
export function checkPrivacy(c: PrivacyFields, ctx: z.RefinementCtx): void {
  const p = c.privacy;
  if (p === undefined) return;
  const issue = (message: string) => ctx.addIssue({ code: 'custom', path: ['privacy'], message });
  if (c.aggregation !== 'secure') {
    return issue(
      'privacy needs aggregation: secure: with plain aggregation every member receives each update with ' +
        "only its site's share of the noise, which protects nothing; set aggregation: secure",
    );
  }
  let sharing: NoiseSharing;
  try {
    sharing = noiseSharing(c);
  } catch (err) {
    if (err instanceof SecAggError) return; // checkAggregation says what is wrong with the threshold
    throw err;
  }
  if (sharing.minContributors <= Math.max(1, sharing.maxColluders)) {
    return issue(
      `privacy needs more than max(1, maxColluders) = ${Math.max(1, sharing.maxColluders)} sites in the ` +
        `smallest sum (${sharing.minContributors}): raise minPeers`,
    );
  }
  const std = siteNoiseStd({ ...p, ...sharing });
  const room = fixedPointRange(DEFAULT_FIXED_POINT).maxAbsValue / 2; // half for the weights themselves
  if (8 * std > room) {
    issue(
      `each site's noise (std noiseMultiplier·clipNorm/√minPeers = ${std.toPrecision(3)}) would leave the ` +
        `secure fixed-point range (±${Math.floor(2 * room)}) at 8 std: lower clipNorm or noiseMultiplier`,
    );
  }
  const sigma = p.noiseMultiplier; // before rounding is charged (the model size is not known here)
  if (p.maxEpsilon !== undefined && roundsWithin({ sigma, delta: p.delta, maxEpsilon: p.maxEpsilon }) < 1) {
    const one = epsilonSpent({ sigma, delta: p.delta, rounds: 1 }).epsilon;
    issue(
      `privacy.maxEpsilon ${p.maxEpsilon} is below the ε of a single round (${one.toFixed(3)}): raise ` +
        'maxEpsilon or noiseMultiplier',
    );
  }
}

/**
 * How the noise is shared: m, the fewest senders any unmasked sum has (max(t, minPeers), t from the member
 * list: no honest peer reveals for fewer), and c, the colluders σ must hold against (maxColluders). Each site
 * adds (σC)²/(m − max(1, c)) of variance, so a sum less the noise of one curious member or of c colluders
 * still carries (σC)².
 */
export interface NoiseSharing {
  minContributors: number;
  maxColluders: number;
}

export function noiseSharing(c: Omit<PrivacyFields, 'aggregation' | 'privacy'>): NoiseSharing {
  const n = c.members.length;
  const holders = shareHolders(n, c.secure.graphDegree);
  const { threshold } = chooseThreshold(holders, c.secure.dropoutFraction);
  const maxColluders = c.secure.maxColluders ?? defaultMaxColluders(n);
  return { minContributors: minSenders(threshold, c.minPeers), maxColluders };
}

/** What a site running with privacy needs: its share of the noise and the public accounting inputs. */
export interface PrivacyPlan {
  mechanism: DistributedGaussian;
  /** The noise multiplier the accountant uses (rounding charged to the sensitivity), and δ. */
  sigma: number;
  delta: number;
  maxEpsilon: number | null;
  /** Rounds the budget allows (null: no maxEpsilon). */
  roundsAllowed: number | null;
}

export function privacyPlan(c: PrivacyFields & { privacy: PrivacyConfig }, coordinates: number): PrivacyPlan {
  const p = c.privacy;
  const mechanism = { ...p, ...noiseSharing(c) };
  const fractionalBits = DEFAULT_FIXED_POINT.fractionalBits;
  const sigma = accountedNoiseMultiplier({ ...p, coordinates, fractionalBits });
  const maxEpsilon = p.maxEpsilon ?? null;
  const roundsAllowed = maxEpsilon === null ? null : roundsWithin({ sigma, delta: p.delta, maxEpsilon });
  return { mechanism, sigma, delta: p.delta, maxEpsilon, roundsAllowed };
}

/** The rounds a site trains: the swarm's `rounds`, fewer where the privacy budget runs out first. */
export function roundsToTrain(rounds: number | null, plan: PrivacyPlan | null): number | null {
  const allowed = plan?.roundsAllowed ?? null;
  if (allowed === null) return rounds;
  return rounds === null ? allowed : Math.min(rounds, allowed);
}

/**
 * Privacy as `/status` reports it once `committedRound` (a model round, ≥ 1, or 0/none) is applied, with
 * `extraReleases` sums this peer saw unmasked in rounds that were not committed (each is a release too).
 * ε against the configured max(1, c) members; against one curious member (its own noise subtracted); and
 * against c colluders (theirs subtracted; c = 0: anyone who sees only the sum).
 */
export function privacyStatus(plan: PrivacyPlan, committedRound: number | null, extraReleases = 0) {
  const rounds = Math.max(0, committedRound ?? 0) + extraReleases;
  const spent = (sigma: number) => epsilonSpent({ sigma, delta: plan.delta, rounds }).epsilon;
  const { clipNorm, noiseMultiplier, minContributors: m, maxColluders = 0 } = plan.mechanism;
  const budgetReached = plan.roundsAllowed !== null && rounds >= plan.roundsAllowed;
  return {
    ...{ epsilon: spent(plan.sigma), delta: plan.delta, maxEpsilon: plan.maxEpsilon, roundsCounted: rounds },
    epsilonCurious: spent(residualNoiseMultiplier(plan.mechanism, plan.sigma, 1)),
    epsilonColluders: spent(residualNoiseMultiplier(plan.mechanism, plan.sigma, maxColluders)),
    ...{ maxColluders, unmaskedNotCommitted: extraReleases },
    ...{ roundsAllowed: plan.roundsAllowed, budgetReached, noiseMultiplier, clipNorm, minContributors: m },
  };
}
