import { writeFile, rename } from 'node:fs/promises';
import { basename } from 'node:path';
import { assertKeyMatches, loadKeyFile } from '../inr/index.js';
import {
  alignColumns,
  applyStandardizer,
  argmaxRows,
  createTrainer,
  loadCsv,
  parseModelConfig,
  prepareData,
  score,
  standardizerFromJSON,
  standardizerToJSON,
  type CsvOptions,
  type EpochInfo,
  type ModelConfigInput,
  type Scores,
  type SplitOptions,
  type TrainOptions,
} from '../models/index.js';
import { makeCheckpoint, openCheckpoint, openStore } from '../storage/index.js';

export interface TrainLocalOptions {
  dataPath: string;
  keyPath: string;
  outPath: string;
  csv: CsvOptions;
  split: SplitOptions;
  model: Partial<ModelConfigInput>;
  train: Omit<TrainOptions, 'onEpoch'>;
  backend: string;
  onEpoch?: (info: EpochInfo) => void;
}

export interface TrainLocalResult {
  checkpointId: string;
  test: Scores;
  val: Scores;
  epochs: number;
  bestEpoch: number;
  samples: { train: number; val: number; test: number };
}

/** `swarmd train`: one site, its own data, a checkpoint in LevelDB. */
export async function trainLocal(o: TrainLocalOptions): Promise<TrainLocalResult> {
  const key = await loadKeyFile(o.keyPath);
  const ds = await loadCsv(o.dataPath, o.csv);
  const data = prepareData(ds, o.split);
  const config = parseModelConfig({ ...o.model, inputDim: ds.cols, numClasses: ds.classNames.length });
  const trainer = createTrainer(config, { kind: 'key', key });
  try {
    const fit = await trainer.fit(data.train, data.val, { ...o.train, onEpoch: o.onEpoch });
    const test = score(trainer, data.test);
    const val = score(trainer, data.val);
    const tensors = trainer.getWeights();
    const id = `local-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    const cp = makeCheckpoint(
      {
        id,
        round: null,
        modelConfig: config,
        keyFingerprint: key.fingerprint,
        preprocessing: standardizerToJSON(data.standardizer),
        classNames: ds.classNames,
        metrics: { ...prefixed('test', test), ...prefixed('val', val), bestEpoch: fit.bestEpoch },
        dataHash: ds.sourceHash,
        dataFile: basename(o.dataPath),
        backend: o.backend,
      },
      tensors,
    );
    const store = await openStore(o.outPath);
    try {
      await store.putCheckpoint(cp);
    } finally {
      await store.close();
    }
    const samples = { train: data.train.rows, val: data.val.rows, test: data.test.rows };
    return { checkpointId: id, test, val, epochs: fit.history.length, bestEpoch: fit.bestEpoch, samples };
  } finally {
    trainer.dispose();
  }
}

function prefixed(prefix: string, s: Scores): Record<string, number> {
  return {
    [`${prefix}Accuracy`]: s.accuracy,
    [`${prefix}MacroF1`]: s.macroF1,
    [`${prefix}MacroAuroc`]: s.macroAuroc,
  };
}

export interface InferOptions {
  checkpointPath: string;
  keyPath: string;
  inputPath: string;
  outputPath?: string;
  csv: CsvOptions;
  unsafeIgnoreFingerprint: boolean;
}

export interface InferResult {
  csv: string;
  rows: number;
  /** Scores when the input carries labels the model knows. */
  scores: Scores | null;
  fingerprintIgnored: boolean;
}

/** `swarmd infer`: no network; checkpoint + key file + CSV → predictions. */
export async function inferOffline(o: InferOptions): Promise<InferResult> {
  const cp = await openCheckpoint(o.checkpointPath);
  const key = await loadKeyFile(o.keyPath);
  const fingerprintIgnored = o.unsafeIgnoreFingerprint && key.fingerprint !== cp.manifest.keyFingerprint;
  if (!o.unsafeIgnoreFingerprint)
    assertKeyMatches(key, cp.manifest.keyFingerprint, `checkpoint ${o.checkpointPath}`);
  const config = parseModelConfig(cp.manifest.modelConfig);
  const classNames = cp.manifest.classNames as string[];
  const standardizer = standardizerFromJSON(cp.manifest.preprocessing);
  const ds = await loadCsv(o.inputPath, { ...o.csv, labelOptional: true, classNames });
  const x = applyStandardizer(
    standardizer,
    alignColumns(standardizer, ds),
    ds.rows,
    standardizer.featureNames.length,
  );
  const trainer = createTrainer(config, { kind: 'key', key });
  try {
    trainer.setWeights(cp.tensors);
    const probs = trainer.predict(x, ds.rows);
    const pred = argmaxRows(probs, config.numClasses);
    const csv = predictionsCsv(ds.ids, classNames, pred, probs);
    if (o.outputPath) await writeAtomic(o.outputPath, csv);
    const labeled = ds.labels.length === ds.rows && ds.labels.every((l) => l >= 0);
    const scores = labeled ? score(trainer, { x, rows: ds.rows, cols: ds.cols, y: ds.labels }) : null;
    return { csv, rows: ds.rows, scores, fingerprintIgnored };
  } finally {
    trainer.dispose();
  }
}

function predictionsCsv(ids: string[], classes: string[], pred: Int32Array, probs: Float32Array): string {
  const k = classes.length;
  const lines = [['sample_id', 'predicted', ...classes.map((c) => `prob_${c}`)].join(',')];
  for (let i = 0; i < pred.length; i++) {
    const p = Array.from(probs.subarray(i * k, (i + 1) * k), (v) => v.toFixed(6));
    lines.push([ids[i], classes[pred[i]], ...p].join(','));
  }
  return lines.join('\n') + '\n';
}

async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
