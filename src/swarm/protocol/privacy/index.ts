/**
 * Distributed differential privacy on top of secure aggregation (issue 7 item 4), the pure part: each site
 * clips its round update and adds its share of Gaussian noise (mechanism.ts, noise from a CSPRNG passed in),
 * and the accountant turns the public parameters (σ, C, δ, rounds committed) into the ε spent, the same
 * at every peer. Unit of privacy: one site's contribution to one round (site-level DP).
 */
export { PrivacyError } from './errors.js';
export { RDP_ORDERS, epsilonSpent, gaussianRdp, rdpToEpsilon, roundsWithin } from './accountant.js';
export type { PrivacySpent } from './accountant.js';
export { standardNormals } from './gaussian.js';
export {
  accountedNoiseMultiplier,
  clipUpdate,
  noiseWithheld,
  privatizeUpdate,
  residualNoiseMultiplier,
  siteNoiseStd,
} from './mechanism.js';
export type { DistributedGaussian, PrivatizedUpdate } from './mechanism.js';
