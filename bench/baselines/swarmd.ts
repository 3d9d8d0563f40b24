import { createHash } from 'node:crypto';
import { TRAINING_DEFAULTS, defaultLearningRate } from '../../src/core/index.js';
import { modelKeyFromBytes, type ModelKey } from '../../src/inr/index.js';
import {
  createTrainer,
  fitOnEveryRow,
  parseModelConfig,
  score,
  type Dataset,
  type ModelConfig,
  type ModelConfigInput,
  type PreparedData,
} from '../../src/models/index.js';

/** Training settings the table may shorten (the unit test does); everything else is swarmd's default. */
export interface SwarmdSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  patience: number;
  epochsPerRound: number;
  /** Refit on training + validation rows for the chosen epoch count, as `swarmd train` does (unless --no-refit). */
  refit: boolean;
  /** The model config (tuning sweeps override it); unset keys: the defaults of ModelConfigSchema. */
  model: Partial<ModelConfigInput>;
}

/** `swarmd train`'s defaults: its model (TRAINING_DEFAULTS.arch) and that model's learning rate. */
export const SWARMD_DEFAULTS: SwarmdSettings = {
  ...TRAINING_DEFAULTS,
  refit: true,
  learningRate: defaultLearningRate(TRAINING_DEFAULTS.arch),
  model: { arch: TRAINING_DEFAULTS.arch },
};

/** A model key derived from the seed, so the table regenerates exactly. */
export function benchKey(seed: number): ModelKey {
  return modelKeyFromBytes(createHash('sha256').update(`baselines table ${seed}`).digest());
}

/** The model `swarmd train` builds for `ds` (INR lock on, default architecture), seeded. */
export function benchModel(ds: Dataset, seed: number, s: SwarmdSettings): ModelConfig {
  return parseModelConfig({ ...s.model, inputDim: ds.cols, numClasses: ds.classNames.length, seed });
}

export interface CentralisedResult {
  test: number;
  val: number;
  bestEpoch: number;
  epochs: number;
}

/**
 * What `swarmd train` does between loading and writing the checkpoint (node/local.ts trainLocal): the INR
 * model with the key, fitted on the training rows with early stopping on the validation rows, refitted on
 * both for the chosen epoch count, scored (validation: the early-stopped model).
 */
export async function trainCentralised(
  ds: Dataset,
  data: PreparedData,
  seed: number,
  s: SwarmdSettings,
): Promise<CentralisedResult> {
  const { trainer, selection, selected } = await fitOnEveryRow(
    () => createTrainer(benchModel(ds, seed, s), { kind: 'key', key: benchKey(seed) }),
    data.train,
    data.val,
    {
      epochs: s.epochs,
      batchSize: s.batchSize,
      learningRate: s.learningRate,
      patience: s.patience,
      seed,
      refit: s.refit,
    },
    async (early) => (await score(early, data.val)).accuracy,
  );
  try {
    const test = data.test.rows > 0 ? (await score(trainer, data.test)).accuracy : NaN;
    return { test, val: selected, bestEpoch: selection.bestEpoch, epochs: selection.history.length };
  } finally {
    trainer.dispose();
  }
}
