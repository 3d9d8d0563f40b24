import type { NumberRange } from './range.js';

/**
 * What training accepts, shared by `swarmd train` flags and a site config's `training` section. The upper
 * bounds are far past any useful value; they exist so a typo (an extra zero or three) is caught, not run.
 */
export const TRAINING_RANGES = {
  epochs: { min: 1, max: 10_000, integer: true },
  batchSize: { min: 1, max: 65_536, integer: true },
  learningRate: { min: 0, max: 1, minExclusive: true },
  patience: { min: 1, max: 10_000, integer: true },
  /** Held-out and validation fractions: both sides of the split must get rows. */
  fraction: { min: 0, max: 1, minExclusive: true, maxExclusive: true },
  /** A held-out test split is optional: 0 trains on every row but the validation split. */
  testFraction: { min: 0, max: 1, maxExclusive: true },
  /** The seeds feed a 32-bit generator. */
  seed: { min: 0, max: 2 ** 32 - 1, integer: true },
  /** INRLinear's α (InrConfigSchema's bounds). */
  alpha: { min: 0, max: 1, minExclusive: true },
} satisfies Record<string, NumberRange>;

/**
 * Training defaults: `swarmd train`'s flags, and for batch size and learning rate a site's `training`
 * section. Chosen for data in general with `npm run table:baselines` on validation splits (README, "Accuracy
 * against baselines").
 */
export const TRAINING_DEFAULTS = {
  epochs: 200,
  batchSize: 32,
  learningRate: 3e-3,
  patience: 20,
  epochsPerRound: 2,
  valFraction: 0.15,
} as const;
