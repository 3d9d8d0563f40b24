import { z } from 'zod';
import { InputError } from '../core/index.js';
import { denseLayerNames, LayerSpecSchema } from './layer-spec.js';
import { HEAD_LAYERS, REGRESSION_LOSSES, TASK_KINDS } from './task.js';

/** The model locks: the paper's INFL Δ alone, or Δ plus a key-derived signed permutation of every INR layer's inputs. */
export const MODEL_LOCKS = ['infl', 'shuffle'] as const;

/**
 * proteomics: the paper's residual classifier; mlp: dense ReLU layers (`hidden`); linear: softmax regression
 * (one INR layer from the features to the classes), the model for small, wide data (README, "Accuracy
 * against baselines"); layers: a site's own backbone, declared as a list (`layers`, layer-spec.ts).
 */
export const MODEL_ARCHS = ['proteomics', 'mlp', 'linear', 'layers'] as const;
export type ModelArch = (typeof MODEL_ARCHS)[number];

/**
 * Which linear layers become INRLinear and how. Φ and L follow the paper (hidden 8, 3 layers; L = 8); the
 * placement (every linear layer) and Φ's init gain (50) are what bench/lock-table measured to lock the
 * model without losing accuracy — see README, "Model lock". `lock` is recorded in every checkpoint's model
 * config; a recorded config without it (every checkpoint written before it existed) means `infl`
 * (parseRecordedModelConfig).
 */
export const InrConfigSchema = z.object({
  /** Unset: `shuffle`, the lock that holds where `infl` does not (README, "Model lock"). */
  lock: z.enum(MODEL_LOCKS).optional(),
  layers: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
  alpha: z.number().gt(0).lte(1).default(0.5),
  encodingLevels: z.number().int().min(1).max(16).default(8),
  hidden: z.number().int().min(1).max(256).default(8),
  depth: z.number().int().min(1).max(8).default(3),
  deltaScale: z.number().positive().default(1),
  /** Unset: 50 (what locks the deep models), 1 for the linear model (see inrDefaults). */
  initGain: z.number().positive().optional(),
});

const ModelConfigObject = z.object({
  arch: z.enum(MODEL_ARCHS).default('proteomics'),
  /** What the model learns (task.ts); recorded configs without it are classifiers. */
  task: z.enum(TASK_KINDS).default('classification'),
  inputDim: z.number().int().positive(),
  /** classification: classes; regression: target columns; embedding: k of the k-means that scores it. */
  numClasses: z.number().int().min(1),
  /** regression: the target columns, in output order. */
  targets: z.array(z.string().min(1)).default([]),
  loss: z.enum(REGRESSION_LOSSES).default('mse'),
  /** regression: the column naming each row's condition and its control value (GEARS' metrics); null: none. */
  control: z
    .object({ column: z.string().min(1), value: z.string() })
    .nullable()
    .default(null),
  /** embedding: width of the code. */
  embeddingDim: z.number().int().min(1).max(1024).default(16),
  /** proteomics: embedding width, residual blocks, decoder hidden width. */
  embedDim: z.number().int().positive().default(64),
  blocks: z.number().int().min(0).max(8).default(2),
  decoderHidden: z.number().int().positive().default(32),
  /** mlp: hidden widths. */
  hidden: z.array(z.number().int().positive()).default([128, 64]),
  /** layers: the backbone, declared (dense, activation, dropout, layerNorm, residual); the output layer follows. */
  layers: z.array(LayerSpecSchema).default([]),
  dropout: z.number().min(0).lt(1).default(0.2),
  /**
   * L2 penalty on the linear layers' kernels, added to the mean cross-entropy: l2 · Σ w². `auto`: 1 / (2 ·
   * training rows), scikit-learn LogisticRegression's default C = 1. Unset: auto for the linear model (more
   * features than rows leave a convex fit without a unique optimum), 0 for the others.
   */
  l2: z.union([z.number().min(0).max(10), z.literal('auto')]).optional(),
  /** null: a plain model without any INR layer. */
  inr: InrConfigSchema.nullable().default({}),
  seed: z.number().int().nonnegative().default(42),
});

/**
 * What an INR config leaves unset. Every model takes the `shuffle` lock: the paper's `infl` only adds a
 * key-dependent offset to each output, which bench/lock-table measured to leave most of the accuracy with a
 * wrong key or without the INR, and which a linear model's single layer learns around entirely. Φ's init
 * gain is 50 for the deep models (bench/lock-table) and 1 for the linear one: a large Δ at the start swamps
 * the few steps a small data set gets (Khan: 63 % vs 89 % test accuracy after 60 epochs).
 */
export function inrDefaults(arch: ModelArch): { lock: InrLock; initGain: number } {
  return { lock: 'shuffle', initGain: arch === 'linear' ? 1 : 50 };
}

/** The lock a recorded model config without `inr.lock` was trained with: checkpoints before the field were `infl`. */
export const RECORDED_LOCK_DEFAULT: InrLock = 'infl';

export const ModelConfigSchema = ModelConfigObject.transform((c) => ({
  ...c,
  l2: c.l2 ?? (c.arch === 'linear' ? ('auto' as const) : 0),
  inr: c.inr && {
    ...c.inr,
    lock: c.inr.lock ?? inrDefaults(c.arch).lock,
    initGain: c.inr.initGain ?? inrDefaults(c.arch).initGain,
  },
})).superRefine((c, ctx) => {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (c.task === 'classification' && c.numClasses < 2)
    issue('numClasses', 'a classifier needs at least 2 classes');
  if (c.arch === 'layers' && c.layers.length === 0)
    issue('layers', 'arch layers needs its layers: e.g. [{dense: 64}, {activation: relu}]');
  const dense = denseLayerNames(c.layers);
  const twice = dense.find((n, i) => dense.indexOf(n) !== i || n === 'output');
  if (twice) issue('layers', `the dense layer name ${twice} is used twice (output is the task's layer)`);
  if (c.task === 'regression' && (c.targets.length === 0 || c.targets.length !== c.numClasses))
    issue('targets', 'a regression model needs its target columns (numClasses: as many)');
  if (c.arch === 'linear' && c.inr?.lock === 'infl')
    ctx.addIssue({
      code: 'custom',
      path: ['inr', 'lock'],
      message:
        'the linear model needs inr.lock shuffle (infl only offsets its outputs and does not lock it); leave lock unset or set shuffle',
    });
});

export type InrLock = (typeof MODEL_LOCKS)[number];
export type InrConfig = Required<z.infer<typeof InrConfigSchema>>;
export type ModelConfig = z.infer<typeof ModelConfigSchema>;
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

/**
 * A model config as a checkpoint recorded it. Recorded configs carry every default spelled out, except
 * those written before `inr.lock` existed, which were `infl`: parsing them as a new config would rebuild
 * them under today's default lock and silently wreck their predictions.
 */
export function parseRecordedModelConfig(recorded: Record<string, unknown>): ModelConfig {
  const inr = recorded.inr === undefined ? {} : recorded.inr; // absent: the schema's default INR layers
  if (inr === null || typeof inr !== 'object' || 'lock' in inr) return parseModelConfig(recorded);
  return parseModelConfig({ ...recorded, inr: { ...inr, lock: RECORDED_LOCK_DEFAULT } });
}

export function parseModelConfig(input: unknown): ModelConfig {
  const res = ModelConfigSchema.safeParse(input);
  if (res.success) return res.data;
  const issues = res.error.issues.map((i) => `${i.path.join('.') || 'model'}: ${i.message}`).join('; ');
  throw new InputError('MODEL_CONFIG', `invalid model config (${issues})`);
}

/** The INR layers a config asks for, with 'all' spelled out. */
export function inrLayerNames(config: ModelConfig): string[] {
  if (!config.inr) return [];
  return config.inr.layers === 'all' ? linearLayerNames(config) : config.inr.layers;
}

/** Names of the linear layers an architecture has, so a config naming a missing one fails clearly. */
export function linearLayerNames(config: ModelConfig): string[] {
  return [...backboneLayerNames(config), ...HEAD_LAYERS[config.task]];
}

function backboneLayerNames(config: ModelConfig): string[] {
  if (config.arch === 'linear') return ['output'];
  if (config.arch === 'layers') return [...denseLayerNames(config.layers), 'output'];
  if (config.arch === 'mlp') {
    return [...config.hidden.map((_, i) => `hidden_${i + 1}`), 'output'];
  }
  const names = ['embed'];
  for (let b = 1; b <= config.blocks; b++) names.push(`block${b}_fc1`, `block${b}_fc2`);
  return [...names, 'decoder_1', 'decoder_2'];
}
