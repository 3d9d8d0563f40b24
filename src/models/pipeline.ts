import { InputError } from '../core/index.js';
import type { ModelConfig } from './config.js';
import type { Dataset } from './csv.js';
import {
  applyStandardizer,
  computeFeatureStats,
  standardizerFromStats,
  type Standardizer,
} from './preprocess.js';
import { stratifiedSplit } from './split.js';
import type { TaskScores } from './task.js';
import type { LabeledData, Trainer } from './trainer.js';
import type { FeatureTransform } from './transform.js';

export interface SplitOptions {
  /** Held-out test share; 0 (the CLI's default) trains on every row outside the validation split. */
  testFraction: number;
  valFraction: number;
  seed: number;
  /** Column kept by the CSV loader whose values must not straddle splits (e.g. `patient`). */
  groupColumn?: string;
}

export interface PreparedData {
  standardizer: Standardizer;
  train: LabeledData;
  val: LabeledData;
  test: LabeledData;
  indices: { train: number[]; val: number[]; test: number[] };
}

export interface Scores {
  accuracy: number;
  macroF1: number;
  macroAuroc: number;
}

/**
 * Held-out test split first (only when testFraction > 0), then a validation split carved from the rest
 * (model selection never sees the test rows); standardisation statistics come from the training rows only.
 */
export function prepareData(
  ds: Dataset,
  opts: SplitOptions,
  transform: FeatureTransform = 'none',
  /** The model the rows are for: its task's targets are split out (taskRows); unset: classification rows. */
  config?: ModelConfig,
): PreparedData {
  const groups = opts.groupColumn ? ds.meta[opts.groupColumn] : undefined;
  if (opts.groupColumn && !groups) {
    throw new InputError(
      'SPLIT_GROUP',
      `group column '${opts.groupColumn}' was not loaded: pass it with --keep`,
    );
  }
  const outer =
    opts.testFraction === 0
      ? { train: Array.from({ length: ds.rows }, (_, i) => i), test: [] }
      : stratifiedSplit(ds.labels, { testFraction: opts.testFraction, seed: opts.seed, groups });
  const inner = splitSubset(ds, outer.train, opts.valFraction, opts.seed + 1, groups);
  const splits = { training: inner.train, validation: inner.val };
  // A held-out test split is optional (--test-fraction 0); asked for, it must get rows.
  assertSplitsFilled(ds.rows, opts.testFraction > 0 ? { ...splits, 'held-out test': outer.test } : splits);
  const stats = computeFeatureStats(ds.features, ds.rows, ds.cols, inner.train, transform);
  const standardizer = standardizerFromStats(stats, ds.featureNames, transform);
  const take = (idx: number[]) =>
    config ? taskRows(config, ds, standardizer, idx) : labeledRows(ds, standardizer, idx);
  return {
    standardizer,
    train: take(inner.train),
    val: take(inner.val),
    test: take(outer.test),
    indices: { train: inner.train, val: inner.val, test: outer.test },
  };
}

/**
 * Every split must get rows: training on none, or scoring on none, would fail deep inside tfjs or report NaN.
 * A class contributes to a split only from its second row on, so the advice is three rows per class.
 */
export function assertSplitsFilled(rows: number, splits: Record<string, number[]>): void {
  const sizes = Object.entries(splits).map(([name, idx]) => `${name} ${idx.length}`);
  if (Object.values(splits).every((idx) => idx.length > 0)) return;
  throw new InputError(
    'TOO_FEW_ROWS',
    `${rows} data row(s) are too few to split (rows per split: ${sizes.join(', ')}): use at least 3 rows of each class`,
  );
}

/** Stratified split of a subset of rows; returns indices into the full data set. */
export function splitSubset(
  ds: Dataset,
  rows: number[],
  fraction: number,
  seed: number,
  groups?: string[],
): { train: number[]; val: number[] } {
  const labels = Int32Array.from(rows, (r) => ds.labels[r]);
  const sub = stratifiedSplit(labels, {
    testFraction: fraction,
    seed,
    groups: groups && rows.map((r) => groups[r]),
  });
  return { train: sub.train.map((i) => rows[i]), val: sub.test.map((i) => rows[i]) };
}

/**
 * The rows a model of `config` trains and scores on: every column standardised (targets too, with the same
 * shared statistics), the regression targets split out of the features, each row's condition attached
 * where the config names a control condition.
 */
export function taskRows(config: ModelConfig, ds: Dataset, s: Standardizer, rows: number[]): LabeledData {
  const all = labeledRows(ds, s, rows);
  const conditions = config.control ? ds.meta[config.control.column] : undefined;
  if (config.control && !conditions)
    throw new InputError(
      'NO_CONDITION_COLUMN',
      `the condition column '${config.control.column}' was not loaded`,
    );
  const d = splitTargets(all, ds.featureNames, config.targets);
  return conditions ? { ...d, conditions: rows.map((r) => conditions[r]) } : d;
}

/** Moves the named columns out of `x` into `targets` (in the order named). */
export function splitTargets(d: LabeledData, names: string[], targets: string[]): LabeledData {
  if (targets.length === 0) return d;
  const where = new Map(names.map((n, i) => [n, i]));
  const missing = targets.filter((t) => !where.has(t));
  if (missing.length > 0)
    throw new InputError('MISSING_TARGETS', `the data lacks the target column(s) ${missing.join(', ')}`);
  const tIdx = targets.map((t) => where.get(t)!);
  const isTarget = new Set(tIdx);
  const xIdx = names.map((_, i) => i).filter((i) => !isTarget.has(i));
  const x = new Float32Array(d.rows * xIdx.length);
  const t = new Float32Array(d.rows * tIdx.length);
  for (let r = 0; r < d.rows; r++) {
    xIdx.forEach((j, k) => (x[r * xIdx.length + k] = d.x[r * d.cols + j]));
    tIdx.forEach((j, k) => (t[r * tIdx.length + k] = d.x[r * d.cols + j]));
  }
  return { ...d, x, cols: xIdx.length, targets: t };
}

export function labeledRows(ds: Dataset, s: Standardizer, rows: number[]): LabeledData {
  return {
    x: applyStandardizer(s, ds.features, ds.rows, ds.cols, rows),
    rows: rows.length,
    cols: ds.cols,
    y: Int32Array.from(rows, (r) => ds.labels[r]),
  };
}

/** The task's scores of `trainer` on rows `d`. */
export async function evaluate(trainer: Trainer, d: LabeledData): Promise<TaskScores> {
  return trainer.task.scores(await trainer.predict(d.x, d.rows), d);
}

/** A classifier's scores (accuracy, macro-F1, macro-AUROC): what the classification tables and the demo show. */
export async function score(trainer: Trainer, d: LabeledData): Promise<Scores> {
  const { values } = await evaluate(trainer, d);
  if (values.accuracy === undefined)
    throw new InputError('NOT_A_CLASSIFIER', `a ${trainer.task.kind} model has no accuracy to score`);
  return { accuracy: values.accuracy, macroF1: values.macroF1, macroAuroc: values.macroAuroc };
}
