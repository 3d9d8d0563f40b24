import { z } from 'zod';
import { InputError } from '../core/index.js';
import { REGRESSION_LOSSES, TASK_KINDS, type RegressionLoss, type TaskKind } from '../models/index.js';

/**
 * The swarm config's `task`: `classification` (the default), `regression` or `embedding`, as a word or an
 * object with the task's settings. Every site holds the same, and every checkpoint records it (in its model
 * config).
 */
const Classification = z.object({ kind: z.literal('classification') }).strict();
const Regression = z
  .object({
    kind: z.literal('regression'),
    /** The numeric target columns, or `targetPrefix`: every column whose name starts with it. */
    targets: z.array(z.string().min(1)).min(1).optional(),
    targetPrefix: z.string().min(1).optional(),
    loss: z.enum(REGRESSION_LOSSES).default('mse'),
    /** A column naming each row's condition, and its control value: GEARS' perturbation metrics. */
    condition: z.string().min(1).optional(),
    control: z.string().optional(),
  })
  .strict()
  .refine((t) => (t.targets === undefined) !== (t.targetPrefix === undefined), {
    message: 'a regression task names its target columns: set targets: [..] or targetPrefix (one of them)',
  })
  .refine((t) => (t.condition === undefined) === (t.control === undefined), {
    message: 'condition and control go together: the condition column and its control value',
  });
const Embedding = z
  .object({
    kind: z.literal('embedding'),
    /** Width of the shared embedding. */
    dim: z.number().int().min(1).max(1024).default(16),
  })
  .strict();

export const TaskConfigSchema = z.preprocess(
  (v) => (v === undefined ? { kind: 'classification' } : typeof v === 'string' ? { kind: v } : v),
  z.union([Classification, Regression, Embedding], {
    errorMap: () => ({ message: `task is one of ${TASK_KINDS.join(', ')}, a word or {kind: …, …}` }),
  }),
);

export type TaskConfig = z.infer<typeof TaskConfigSchema>;

/** What the model config takes from the task config and a site's columns. */
export interface TaskModelSettings {
  task: TaskKind;
  targets: string[];
  loss: RegressionLoss;
  control: { column: string; value: string } | null;
  embeddingDim?: number;
}

/** The task's model settings; a target prefix is resolved against the site's columns (file order). */
export function taskModelSettings(t: TaskConfig, columns: string[], swarmPath: string): TaskModelSettings {
  const base = { task: t.kind, targets: [] as string[], loss: 'mse' as RegressionLoss, control: null };
  switch (t.kind) {
    case 'classification':
      return base;
    case 'embedding':
      return { ...base, embeddingDim: t.dim };
    case 'regression':
      return { ...base, ...regressionSettings(t, columns, swarmPath) };
  }
}

function regressionSettings(t: z.infer<typeof Regression>, columns: string[], swarmPath: string) {
  const targets = t.targets ?? columns.filter((c) => c.startsWith(t.targetPrefix!));
  const missing = targets.filter((c) => !columns.includes(c));
  if (targets.length === 0 || missing.length > 0) {
    const what = t.targets
      ? `lacks the target column(s) ${missing.join(', ')}`
      : `has no column starting with '${t.targetPrefix}'`;
    throw new InputError(
      'TASK_TARGETS',
      `this site's data ${what} (task in ${swarmPath}): fix the task's targets or the data`,
    );
  }
  if (targets.length === columns.length)
    throw new InputError(
      'TASK_TARGETS',
      `every column of this site's data is a target: no features are left (task in ${swarmPath})`,
    );
  const control = t.condition !== undefined ? { column: t.condition, value: t.control! } : null;
  return { targets, loss: t.loss, control };
}

/** A column the task reads besides features and labels (regression's condition column). */
export function taskKeepColumn(t: TaskConfig): string | undefined {
  return t.kind === 'regression' ? t.condition : undefined;
}
