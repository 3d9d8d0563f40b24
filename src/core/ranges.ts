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
  /** `swarmd train`'s model: softmax regression under the shuffle lock (models/config.ts). */
  arch: 'linear',
  epochs: 200,
  batchSize: 32,
  /** The deep models' (proteomics, mlp); the linear model's is LINEAR_LEARNING_RATE. */
  learningRate: 3e-3,
  patience: 20,
  epochsPerRound: 2,
  valFraction: 0.15,
} as const;

/**
 * The linear model's learning rate: Adam moves each of its thousands of input weights by about the learning
 * rate a step, all at once, so the logits move far faster than in the deep models' narrow layers (validation
 * splits, TCGA / PBMC: 95.3 / 85.3 % at 3e-3, 97.1 / 85.7 % at 1e-3).
 */
export const LINEAR_LEARNING_RATE = 1e-3;

/** The learning rate an architecture trains with when none is given. */
export function defaultLearningRate(arch: string): number {
  return arch === 'linear' ? LINEAR_LEARNING_RATE : TRAINING_DEFAULTS.learningRate;
}
