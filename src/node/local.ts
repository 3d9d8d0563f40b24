import { basename } from 'node:path';
import { assertKeyMatches, loadKeyFile, type ModelKey } from '../inr/index.js';
import {
  alignColumns,
  applyStandardizer,
  assertTransformable,
  countLikeMax,
  createTrainer,
  fitOnEveryRow,
  loadCsv,
  parseBackendPreference,
  parseDecimal,
  parseModelConfig,
  parseRecordedModelConfig,
  prepareData,
  evaluate,
  splitTargets,
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
  type PredictionTable,
  type Standardizer,
  type TaskKind,
  type TaskScores,
  type SplitOptions,
  type SuspectColumn,
  type TrainingWorker,
  type TrainOptions,
} from '../models/index.js';
import { assertDatabaseFolder, makeCheckpoint, openCheckpoint, openStore } from '../storage/index.js';
import { InputError, placeOutput, writeOutput, type OutputFile } from '../core/index.js';

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
  /**
   * Refit on the training and validation rows for the epoch count early stopping chose (default true);
   * false keeps the early-stopped model.
   */
  refit?: boolean;
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
  /** The task's scores on the held-out test rows; null when none were held out (`testFraction` 0). */
  test: TaskScores | null;
  /** The task's scores of the early-stopped model on the validation rows (before the refit, which trains on them). */
  val: TaskScores;
  epochs: number;
  bestEpoch: number;
  /** Epochs of the refit on every row; null without one. */
  refitEpochs: number | null;
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
  // Only a classifier needs the label column; the other tasks read it where present (embedding scores).
  const labelOptional = (o.model.task ?? 'classification') !== 'classification';
  const ds = await loadCsv(o.dataPath, { ...o.csv, labelOptional });
  const transform = o.transform ?? 'none';
  assertTransformable(ds, transform, o.dataPath);
  const config = localModelConfig(o.model, ds);
  const data = prepareData(ds, o.split, transform, config);
  const samples = { train: data.train.rows, val: data.val.rows, test: data.test.rows };
  const countLike = transform === 'none' ? countLikeMax(ds) : null;
  o.onPrepared?.({ samples, suspectColumns: suspectIdColumns(ds), countLikeMax: countLike });
  const {
    trainer,
    selection: fit,
    selected: val,
    refitEpochs,
  } = await fitOnEveryRow(
    () => engine.createTrainer(config, { kind: 'key', key }),
    data.train,
    data.val,
    { ...o.train, refit: o.refit ?? true, onEpoch: o.onEpoch },
    (selected) => evaluate(selected, data.val),
  );
  try {
    const test = data.test.rows > 0 ? await evaluate(trainer, data.test) : null;
    const tensors = await trainer.getWeights();
    const id = `local-${new Date().toISOString().replace(/[-:.]/g, '')}`;
    const cp = makeCheckpoint(tensors, {
      id,
      round: null,
      modelConfig: config,
      keyFingerprint: key.fingerprint,
      preprocessing: standardizerToJSON(data.standardizer),
      classNames: ds.classNames,
      metrics: {
        ...(test ? prefixed('test', test) : {}),
        ...prefixed('val', val),
        bestEpoch: fit.bestEpoch,
        ...(refitEpochs === null ? {} : { refitEpochs }),
      },
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
    const epochs = fit.history.length;
    return { checkpointId: id, test, val, epochs, bestEpoch: fit.bestEpoch, refitEpochs, samples };
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

/** `testAccuracy`, `valR2`, …: every score of the task under a prefix, as checkpoints record them. */
function prefixed(prefix: string, s: TaskScores): Record<string, number> {
  return Object.fromEntries(
    Object.entries(s.values).map(([k, v]) => [`${prefix}${k[0].toUpperCase()}${k.slice(1)}`, v]),
  );
}

/**
 * The model `swarmd train` fits: its options on the data's columns. Regression: the targets leave the
 * features; embedding: k of the k-means that scores it is the label classes.
 */
function localModelConfig(model: Partial<ModelConfigInput>, ds: Dataset) {
  const targets = model.targets ?? [];
  const missing = targets.filter((t) => !ds.featureNames.includes(t));
  if (missing.length > 0)
    throw new InputError(
      'TASK_TARGETS',
      `the data has no target column ${missing.join(', ')}: check --targets`,
    );
  const width = model.task === 'regression' ? targets.length : ds.classNames.length;
  return parseModelConfig({ ...model, inputDim: ds.cols - targets.length, numClasses: Math.max(1, width) });
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
  /** Asks for an embedding model's embeddings (refused for a model of another task). */
  embed?: boolean;
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
  /** What the model learns: the csv holds class predictions, target values or embeddings. */
  task: TaskKind;
  /** The task's scores when the input carries the truth (labels the model knows; every target column). */
  scores: TaskScores | null;
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
  const config = parseRecordedModelConfig(cp.manifest.modelConfig);
  if (o.embed && config.task !== 'embedding')
    throw new InputError(
      'NOT_AN_EMBEDDING',
      `--embed: checkpoint ${o.checkpointPath} holds a ${config.task} model, not an embedding`,
    );
  const classNames = cp.manifest.classNames as string[];
  const standardizer = standardizerFromJSON(cp.manifest.preprocessing);
  const input = await loadCsv(o.inputPath, {
    ...o.csv,
    labelOptional: true,
    // regression records no classes: a label column, if any, is read for its own values
    classNames: classNames.length > 0 ? classNames : undefined,
    outOfRange: o.allowOutOfRange ? 'missing' : 'refuse',
    outOfRangeFix:
      'fix or remove those rows, or pass --allow-nonfinite to read them as missing (with a warning per row)',
  });
  assertTransformable(input, standardizer.transform, o.inputPath);
  // Inputs to predict need not carry the targets: absent target columns are read as missing (then dropped).
  const hasTargets = config.targets.every((t) => input.featureNames.includes(t));
  const ds = withMissingColumns(input, config.targets);
  const all = applyStandardizer(
    standardizer,
    alignColumns(standardizer, ds),
    ds.rows,
    standardizer.featureNames.length,
  );
  const d = splitTargets(
    { x: all, rows: ds.rows, cols: standardizer.featureNames.length, y: ds.labels },
    standardizer.featureNames,
    config.targets,
  );
  const trainer = createTrainer(config, { kind: 'key', key });
  try {
    trainer.setWeights(cp.tensors);
    const out = await trainer.predict(d.x, ds.rows);
    const table = trainer.task.predictionTable(out, ds.rows, {
      classNames,
      targetScale: targetScale(standardizer, config.targets),
    });
    const csv = predictionsCsv(ds.ids, table);
    if (o.outputPath !== undefined)
      await writeOutput(predictionsOutput({ ...o, outputPath: o.outputPath }), csv);
    const labeled = ds.labels.length === ds.rows && ds.labels.every((l) => l >= 0);
    const truth = config.task === 'regression' ? hasTargets : labeled;
    const scores = truth ? trainer.task.scores(out, d) : null;
    return { csv, rows: ds.rows, task: config.task, scores, outOfRange: outOfRangeRows(ds) };
  } finally {
    trainer.dispose();
  }
}

/** `ds` with every named column it lacks added as missing values (NaN: standardised to 0). */
function withMissingColumns(ds: Dataset, names: string[]): Dataset {
  const absent = names.filter((n) => !ds.featureNames.includes(n));
  if (absent.length === 0) return ds;
  const cols = ds.cols + absent.length;
  const features = new Float32Array(ds.rows * cols).fill(NaN);
  for (let r = 0; r < ds.rows; r++)
    features.set(ds.features.subarray(r * ds.cols, (r + 1) * ds.cols), r * cols);
  return { ...ds, features, cols, featureNames: [...ds.featureNames, ...absent] };
}

/** Each target's mean and std in the shared standardisation: predictions go back to the data's units. */
function targetScale(s: Standardizer, targets: string[]) {
  if (targets.length === 0) return null;
  const at = targets.map((t) => s.featureNames.indexOf(t));
  return { mean: at.map((i) => s.mean[i]), std: at.map((i) => s.std[i]) };
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

function predictionsCsv(ids: string[], table: PredictionTable): string {
  const lines = [['sample_id', ...table.header].map(csvField).join(',')];
  ids.forEach((id, i) => lines.push([id, ...table.row(i)].map(csvField).join(',')));
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

/** How every predictions file swarmd writes starts: classes, regression targets, or embeddings. */
const PREDICTIONS_HEAD = /^sample_id,(predicted[,_]|embedding_1\b)/;

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
    isOurs: (head) => PREDICTIONS_HEAD.test(head.toString('utf8')),
    force: o.force,
    inputs: [
      { path: o.inputPath, what: 'the input CSV (--input)' },
      { path: o.keyPath, what: 'the model key file (--key)' },
      { path: o.checkpointPath, what: 'the checkpoint (--checkpoint)' },
      { path: checkpointFile, what: 'the checkpoint (--checkpoint)' },
    ],
  };
}
