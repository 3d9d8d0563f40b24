import type { ModelKey } from '../inr/index.js';
import {
  computeFeatureStats,
  createTrainer,
  labeledRows,
  parseModelConfig,
  parseRecordedModelConfig,
  score,
  standardizerFromJSON,
  standardizerFromStats,
  type Dataset,
  type InrMode,
  type ModelConfig,
  type Scores,
} from '../models/index.js';
import type { Checkpoint } from '../storage/index.js';

/** Scores a checkpoint on rows of `ds` with the given key (or INR removed), using its stored transform. */
export async function evaluateCheckpoint(
  cp: Checkpoint,
  inr: InrMode,
  ds: Dataset,
  rows: number[],
): Promise<Scores> {
  const config = parseRecordedModelConfig(cp.manifest.modelConfig);
  const trainer = createTrainer(config, inr);
  try {
    trainer.setWeights(cp.tensors);
    return await score(trainer, labeledRows(ds, standardizerFromJSON(cp.manifest.preprocessing), rows));
  } finally {
    trainer.dispose();
  }
}

/**
 * The baselines of the result tables: one model trained on `trainRows` (all sites pooled = centralised, or
 * one site alone) for `epochs`, scored on `testRows`, with the right key and with `wrongKey`.
 */
export async function trainBaseline(
  ds: Dataset,
  config: ModelConfig,
  key: ModelKey,
  wrongKey: ModelKey,
  rows: { train: number[]; test: number[] },
  o: { epochs: number; batchSize: number; learningRate: number; seed: number },
): Promise<{ right: Scores; wrong: Scores }> {
  const standardizer = standardizerFromStats(
    computeFeatureStats(ds.features, ds.rows, ds.cols, rows.train),
    ds.featureNames,
  );
  const trainer = createTrainer(parseModelConfig(config), { kind: 'key', key });
  try {
    await trainer.fit(labeledRows(ds, standardizer, rows.train), null, { ...o, patience: null });
    const test = labeledRows(ds, standardizer, rows.test);
    const right = await score(trainer, test);
    const other = createTrainer(config, { kind: 'key', key: wrongKey });
    other.setWeights(await trainer.getWeights());
    const wrong = await score(other, test);
    other.dispose();
    return { right, wrong };
  } finally {
    trainer.dispose();
  }
}
