import type * as tf from '@tensorflow/tfjs';

/** Row-major samples with integer class labels, and what other tasks train on. */
export interface LabeledData {
  x: Float32Array;
  rows: number;
  cols: number;
  /** Class index per row; -1 where a row has none (regression and embedding data may lack labels). */
  y: Int32Array;
  /** regression: the standardised targets, row-major [rows, targets]. */
  targets?: Float32Array;
  /** Each row's condition (regression with a control condition: GEARS' metrics). */
  conditions?: string[];
}

/**
 * What a model learns: classes (softmax, cross-entropy), numeric targets (identity head, MSE or Huber on
 * targets standardised with the swarm's shared statistics), or an embedding (an autoencoder's code). One
 * Task per model config, chosen once (createTask); the builder, the trainer and the scorers ask it rather
 * than branch on the kind.
 */
export const TASK_KINDS = ['classification', 'regression', 'embedding'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export const REGRESSION_LOSSES = ['mse', 'huber'] as const;
export type RegressionLoss = (typeof REGRESSION_LOSSES)[number];

/** Linear layers a task's head adds after the backbone (the embedding's decoder). */
export const HEAD_LAYERS: Record<TaskKind, readonly string[]> = {
  classification: [],
  regression: [],
  embedding: ['reconstruction'],
};

/** How a task adds layers: the builder's factory, so INR locking and seeding apply to them too. */
export interface LayerFactory {
  linear(name: string, units: number, x: tf.SymbolicTensor, zeroKernel?: boolean): tf.SymbolicTensor;
  /** `rate` unset: the model config's dropout. */
  dropout(name: string, x: tf.SymbolicTensor, rate?: number): tf.SymbolicTensor;
}

/** A task's scores on some rows, by name; `headline` names the one status, tables and the demo show. */
export interface TaskScores {
  headline: string;
  values: Record<string, number>;
}

export interface Task {
  readonly kind: TaskKind;
  /** The score status, tables and the demo show (`scores().headline` on labelled rows). */
  readonly headline: string;
  /** Units of the backbone's last linear layer (classes, targets, embedding width). */
  readonly bodyUnits: number;
  /** Linear layers the head adds after the backbone (INR-lockable, L2-penalised like the backbone's). */
  readonly headLayers: readonly string[];
  /** The model's output from the backbone's last linear layer. */
  head(body: tf.SymbolicTensor, f: LayerFactory): tf.SymbolicTensor;
  /** Columns of the training target matrix. */
  readonly targetWidth: number;
  /** Each row's training target, row-major [rows, targetWidth]. */
  targets(d: LabeledData): Float32Array;
  /** Mean loss of a batch of model outputs against its targets. */
  loss(out: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar;
  /** What the trainer reports on the validation rows each epoch: `accuracy` or `r2`. */
  readonly epochScoreName: 'accuracy' | 'r2';
  epochScore(out: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar;
  /** Scores of model outputs (predict()) on rows `d`. */
  scores(out: Float32Array, d: LabeledData): TaskScores;
  /** What `swarmd infer` writes per row (besides the sample id). */
  predictionTable(out: Float32Array, rows: number, ctx: PredictionContext): PredictionTable;
}

/** What a task's prediction table needs besides the outputs: class names, each target's scale. */
export interface PredictionContext {
  classNames: string[];
  /** Mean and std of each target column in the shared standardisation (regression un-standardises). */
  targetScale: { mean: number[]; std: number[] } | null;
}

/** Output columns per row, as written by `swarmd infer`. */
export interface PredictionTable {
  header: string[];
  row(i: number): string[];
}
