import { basename } from 'node:path';
import { assertKeyMatches, loadKeyFile, type ModelKey } from '../inr/index.js';
import {
  alignColumns,
  applyStandardizer,
  argmaxRows,
  assertTransformable,
  countLikeMax,
  createTrainer,
  loadCsv,
  parseBackendPreference,
  parseDecimal,
  parseModelConfig,
  prepareData,
  score,
  standardizerFromJSON,
  standardizerToJSON,
  startTrainingWorker,
  suspectIdColumns,
  type BackendInfo,
  type CsvOptions,
  type Dataset,
  type EpochInfo,
  type FeatureTransform,
  type ModelConfigInput,
  type Scores,
  type SplitOptions,
  type SuspectColumn,
  type TrainingWorker,
  type TrainOptions,
} from '../models/index.js';
import { assertDatabaseFolder, makeCheckpoint, openCheckpoint, openStore } from '../storage/index.js';
import { placeOutput, writeOutput, type OutputFile } from '../core/index.js';

export interface TrainLocalOptions {
  dataPath: string;
  keyPath: string;
  outPath: string;
  csv: CsvOptions;
  split: SplitOptions;
  /** Applied to every value before standardisation; recorded in the checkpoint. Default none. */
  transform?: FeatureTransform;
  model: Partial<ModelConfigInput>;
  train: Omit<TrainOptions, 'onEpoch'>;
  /** A backend preference (`auto` or a name), selected in the training thread. */
  backend: string;
  /** Called once the training thread has selected its backend. */
  onBackend?: (info: BackendInfo) => void;
  onEpoch?: (info: EpochInfo) => void;
  /** Called once the rows are split, before training starts. */
  onPrepared?: (info: PreparedInfo) => void;
}

export interface PreparedInfo {
  samples: SplitSizes;
  suspectColumns: SuspectColumn[];
  /** The largest value when the data looks like counts and is not transformed (countLikeMax); else null. */
  countLikeMax: number | null;
}

export interface SplitSizes {
  train: number;
  val: number;
  test: number;
}

export interface TrainLocalResult {
  checkpointId: string;
  /** Scores on the held-out test rows; null when none were held out (`testFraction` 0). */
  test: Scores | null;
  val: Scores;
  epochs: number;
  bestEpoch: number;
  samples: SplitSizes;
}

/** `swarmd train`: one site, its own data, a checkpoint in LevelDB. */
export async function trainLocal(o: TrainLocalOptions): Promise<TrainLocalResult> {
  const key = await loadKeyFile(o.keyPath);
  await assertOutDatabase(o.outPath, key);
  // Training runs in a thread of its own, as the daemon's does (one code path for both).
  const engine = await startTrainingWorker(parseBackendPreference(o.backend));
  o.onBackend?.(engine.backend);
  try {
    return await trainWith(engine, key, o);
  } finally {
    await engine.close();
  }
}

async function trainWith(
  engine: TrainingWorker,
  key: ModelKey,
  o: TrainLocalOptions,
): Promise<TrainLocalResult> {
  const ds = await loadCsv(o.dataPath, o.csv);
  const transform = o.transform ?? 'none';
  assertTransformable(ds, transform, o.dataPath);
  const data = prepareData(ds, o.split, transform);
  const samples = { train: data.train.rows, val: data.val.rows, test: data.test.rows };
  const countLike = transform === 'none' ? countLikeMax(ds) : null;
  o.onPrepared?.({ samples, suspectColumns: suspectIdColumns(ds), countLikeMax: countLike });
  const config = parseModelConfig({ ...o.model, inputDim: ds.cols, numClasses: ds.classNames.length });
  const trainer = await engine.createTrainer(config, { kind: 'key', key });
  try {
    const fit = await trainer.fit(data.train, data.val, { ...o.train, onEpoch: o.onEpoch });
    const test = data.test.rows > 0 ? await score(trainer, data.test) : null;
    const val = await score(trainer, data.val);
    const tensors = await trainer.getWeights();
    const id = `local-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    const cp = makeCheckpoint(tensors, {
      id,
      round: null,
      modelConfig: config,
      keyFingerprint: key.fingerprint,
      preprocessing: standardizerToJSON(data.standardizer),
      classNames: ds.classNames,
      metrics: { ...(test ? prefixed('test', test) : {}), ...prefixed('val', val), bestEpoch: fit.bestEpoch },
      dataHash: ds.sourceHash,
      dataFile: basename(o.dataPath),
      backend: engine.backend.name,
    });
    const store = await openStore(o.outPath, { key });
    try {
      await store.putCheckpoint(cp);
      await store.putMeta('key-fingerprint', key.fingerprint);
    } finally {
      await store.close();
    }
    return { checkpointId: id, test, val, epochs: fit.history.length, bestEpoch: fit.bestEpoch, samples };
  } finally {
    trainer.dispose();
  }
}

/**
 * `--out` before training: a folder swarmd may write (openStore's rule, checked without writing), and a
 * database there is one of this key's (a checkpoint under another key would be unreadable to its owner).
 */
async function assertOutDatabase(path: string, key: ModelKey): Promise<void> {
  if (!(await assertDatabaseFolder(path))) return;
  const store = await openStore(path, { key, mustExist: true });
  try {
    const pinned = await store.getMeta<string>('key-fingerprint');
    if (pinned !== undefined) assertKeyMatches(key, pinned, `database ${path}`);
    await store.latestCheckpoint(); // sealed under another key: a KeyMismatchError naming it
  } finally {
    await store.close();
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
  /** Replace an existing `outputPath` that is not a predictions file (never an input or a key file). */
  force?: boolean;
  csv: CsvOptions;
  /** Read infinite or absurd feature values as missing (listed in `outOfRange`) instead of refusing the input. */
  allowOutOfRange?: boolean;
}

/** An input row with feature values read as missing because they were infinite or absurdly large. */
export interface OutOfRangeRow {
  id: string;
  line: number;
  cells: { column: string; value: string }[];
}

export interface InferResult {
  csv: string;
  rows: number;
  /** Scores when the input carries labels the model knows. */
  scores: Scores | null;
  /** Rows whose out-of-range values were read as missing (only with `allowOutOfRange`). */
  outOfRange: OutOfRangeRow[];
}

/** `swarmd infer`: no network; checkpoint + key file + CSV → predictions. */
export async function inferOffline(o: InferOptions): Promise<InferResult> {
  // Checked before the work, and again when writing.
  if (o.outputPath !== undefined) await placeOutput(predictionsOutput({ ...o, outputPath: o.outputPath }));
  const key = await loadKeyFile(o.keyPath);
  // The checkpoint is sealed under the model key: a wrong key fails there, before any weight is read.
  const cp = await openCheckpoint(o.checkpointPath, key);
  assertKeyMatches(key, cp.manifest.keyFingerprint, `checkpoint ${o.checkpointPath}`);
  const config = parseModelConfig(cp.manifest.modelConfig);
  const classNames = cp.manifest.classNames as string[];
  const standardizer = standardizerFromJSON(cp.manifest.preprocessing);
  const ds = await loadCsv(o.inputPath, {
    ...o.csv,
    labelOptional: true,
    classNames,
    outOfRange: o.allowOutOfRange ? 'missing' : 'refuse',
    outOfRangeFix:
      'fix or remove those rows, or pass --allow-nonfinite to read them as missing (with a warning per row)',
  });
  assertTransformable(ds, standardizer.transform, o.inputPath);
  const x = applyStandardizer(
    standardizer,
    alignColumns(standardizer, ds),
    ds.rows,
    standardizer.featureNames.length,
  );
  const trainer = createTrainer(config, { kind: 'key', key });
  try {
    trainer.setWeights(cp.tensors);
    const probs = await trainer.predict(x, ds.rows);
    const pred = argmaxRows(probs, config.numClasses);
    const csv = predictionsCsv(ds.ids, classNames, pred, probs);
    if (o.outputPath !== undefined)
      await writeOutput(predictionsOutput({ ...o, outputPath: o.outputPath }), csv);
    const labeled = ds.labels.length === ds.rows && ds.labels.every((l) => l >= 0);
    const scores = labeled ? await score(trainer, { x, rows: ds.rows, cols: ds.cols, y: ds.labels }) : null;
    return { csv, rows: ds.rows, scores, outOfRange: outOfRangeRows(ds) };
  } finally {
    trainer.dispose();
  }
}

function outOfRangeRows(ds: Dataset): OutOfRangeRow[] {
  const rows = new Map<number, OutOfRangeRow>();
  for (const c of ds.outOfRange) {
    const row = rows.get(c.row) ?? { id: ds.ids[c.row], line: c.line, cells: [] };
    row.cells.push({ column: c.column, value: c.value });
    rows.set(c.row, row);
  }
  return [...rows.values()];
}

function predictionsCsv(ids: string[], classes: string[], pred: Int32Array, probs: Float32Array): string {
  const k = classes.length;
  const lines = [['sample_id', 'predicted', ...classes.map((c) => csvField(`prob_${c}`))].join(',')];
  for (let i = 0; i < pred.length; i++) {
    const p = Array.from(probs.subarray(i * k, (i + 1) * k), (v) => v.toFixed(6));
    lines.push([csvField(ids[i]), csvField(classes[pred[i]]), ...p].join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * One CSV field: quoted when it holds a comma, a quote or a line break; text a spreadsheet would run as a
 * formula (=, +, -, @, tab, CR first; numbers aside) gets a leading ' as OWASP advises.
 */
export function csvField(v: string): string {
  const safe = /^[=+\-@\t\r]/.test(v) && Number.isNaN(parseDecimal(v)) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const PREDICTIONS_HEAD = 'sample_id,predicted,';

/**
 * Where predictions go: a new file, a predictions file swarmd wrote, or a device written in place
 * (`--output /dev/null`); any other file only with --force, and never an input or a key file.
 */
function predictionsOutput(o: InferOptions & { outputPath: string }): OutputFile {
  const checkpointFile = o.checkpointPath.replace(/#[^/]*$/, '');
  return {
    path: o.outputPath,
    what: 'predictions file',
    fix: 'pass another --output path (or --force to replace a file that is not an input)',
    isOurs: (head) => head.toString('utf8').startsWith(PREDICTIONS_HEAD),
    force: o.force,
    inputs: [
      { path: o.inputPath, what: 'the input CSV (--input)' },
      { path: o.keyPath, what: 'the model key file (--key)' },
      { path: o.checkpointPath, what: 'the checkpoint (--checkpoint)' },
      { path: checkpointFile, what: 'the checkpoint (--checkpoint)' },
    ],
  };
}
