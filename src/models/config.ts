import { z } from 'zod';
import { InputError } from '../core/index.js';

/** The model locks: the paper's INFL Δ alone, or Δ plus a key-derived signed permutation of every INR layer's inputs. */
export const MODEL_LOCKS = ['infl', 'shuffle'] as const;

/**
 * Which linear layers become INRLinear and how. Φ and L follow the paper (hidden 8, 3 layers; L = 8); the
 * placement (every linear layer) and Φ's init gain (50) are what bench/lock-table measured to lock the
 * model without losing accuracy — see README, "Model lock". `lock` is recorded in every checkpoint's model
 * config; a config without it (every checkpoint written before it existed) means `infl`.
 */
export const InrConfigSchema = z.object({
  lock: z.enum(MODEL_LOCKS).default('infl'),
  layers: z.union([z.literal('all'), z.array(z.string().min(1)).min(1)]).default('all'),
  alpha: z.number().gt(0).lte(1).default(0.5),
  encodingLevels: z.number().int().min(1).max(16).default(8),
  hidden: z.number().int().min(1).max(256).default(8),
  depth: z.number().int().min(1).max(8).default(3),
  deltaScale: z.number().positive().default(1),
  initGain: z.number().positive().default(50),
});

export const ModelConfigSchema = z.object({
  arch: z.enum(['proteomics', 'mlp']).default('proteomics'),
  inputDim: z.number().int().positive(),
  numClasses: z.number().int().min(2),
  /** proteomics: embedding width, residual blocks, decoder hidden width. */
  embedDim: z.number().int().positive().default(64),
  blocks: z.number().int().min(0).max(8).default(2),
  decoderHidden: z.number().int().positive().default(32),
  /** mlp: hidden widths. */
  hidden: z.array(z.number().int().positive()).default([128, 64]),
  dropout: z.number().min(0).lt(1).default(0.2),
  /** null: a plain model without any INR layer. */
  inr: InrConfigSchema.nullable().default({}),
  seed: z.number().int().nonnegative().default(42),
});

export type InrConfig = z.infer<typeof InrConfigSchema>;
export type ModelConfig = z.infer<typeof ModelConfigSchema>;
export type ModelConfigInput = z.input<typeof ModelConfigSchema>;

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
  if (config.arch === 'mlp') {
    return [...config.hidden.map((_, i) => `hidden_${i + 1}`), 'output'];
  }
  const names = ['embed'];
  for (let b = 1; b <= config.blocks; b++) names.push(`block${b}_fc1`, `block${b}_fc2`);
  return [...names, 'decoder_1', 'decoder_2'];
}
