import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError } from '../core/index.js';
import { InrConfigSchema } from '../models/index.js';

/** One site: where its data, key and database are, how it listens, and how it trains each round. */
export const SiteConfigSchema = z
  .object({
    site: z
      .string()
      .min(1)
      .regex(/^[\w.-]+$/, 'letters, digits, dot, dash, underscore'),
    /** LevelDB directory (identity, checkpoints, round log). */
    dataDir: z.string().min(1),
    keyFile: z.string().min(1),
    /** Portable copy of the latest committed checkpoint (default: `<dataDir>.latest.swck`). */
    exportCheckpoint: z.string().min(1).optional(),
    swarmConfig: z.string().min(1),
    data: z
      .object({
        path: z.string().min(1),
        label: z.string().default('label'),
        id: z.string().default('sample_id'),
        ignore: z.array(z.string()).default([]),
        /** Rows sharing this column stay on one side of the local validation split. */
        group: z.string().optional(),
        /** Optional row subset file (one sample id per line): lets several demo sites share one CSV. */
        rowsFile: z.string().optional(),
      })
      .strict(),
    listen: z.array(z.string()).default(['/ip4/127.0.0.1/tcp/0']),
    bootstrap: z.array(z.string()).default([]),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(0),
        token: z.string().min(16).optional(),
      })
      .strict()
      .default({}),
    training: z
      .object({
        epochsPerRound: z.number().int().positive().default(2),
        batchSize: z.number().int().positive().default(32),
        learningRate: z.number().positive().default(1e-3),
        valFraction: z.number().gt(0).lt(1).default(0.15),
        seed: z.number().int().nonnegative().default(42),
      })
      .strict()
      .default({}),
    backend: z.string().default('auto'),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
        pretty: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      })
      .strict()
      .default({}),
  })
  .strict();

/** The consortium: who is in it, its secret, its rhythm, and the model everyone trains. */
export const SwarmConfigSchema = z
  .object({
    swarmId: z
      .string()
      .min(1)
      .regex(/^[\w.-]+$/, 'letters, digits, dot, dash, underscore'),
    pskFile: z.string().min(1),
    members: z.array(z.object({ name: z.string().min(1), peerId: z.string().min(46) }).strict()).min(1),
    minPeers: z.number().int().min(1).default(2),
    /** Rounds to run before the daemon stops training and only serves (null: run until stopped). */
    rounds: z.number().int().positive().nullable().default(5),
    roundDeadlineMs: z.number().int().positive().default(120_000),
    commitTimeoutMs: z.number().int().positive().default(20_000),
    merge: z.enum(['fedavg']).default('fedavg'),
    model: z
      .object({
        arch: z.enum(['proteomics', 'mlp']).default('proteomics'),
        /** Every site maps labels to these indices, even a site that lacks some classes. */
        classNames: z.array(z.string().min(1)).min(2),
        inr: InrConfigSchema.nullable().optional(),
        seed: z.number().int().nonnegative().default(42),
      })
      .strict(),
  })
  .strict()
  .refine((c) => c.minPeers <= c.members.length, { message: 'minPeers exceeds the number of members' })
  .refine((c) => new Set(c.members.map((m) => m.peerId)).size === c.members.length, {
    message: 'a peer id is listed twice',
  });

export type SiteConfig = z.infer<typeof SiteConfigSchema>;
export type SwarmConfig = z.infer<typeof SwarmConfigSchema>;

/** Reads a YAML file, validates it and resolves its relative paths against the file's own folder. */
export async function loadSiteConfig(path: string): Promise<SiteConfig> {
  const c = validate(SiteConfigSchema, await readYaml(path), path);
  const at = (p: string) => (isAbsolute(p) ? p : resolve(dirname(path), p));
  return {
    ...c,
    dataDir: at(c.dataDir),
    keyFile: at(c.keyFile),
    exportCheckpoint: at(c.exportCheckpoint ?? `${c.dataDir}.latest.swck`),
    swarmConfig: at(c.swarmConfig),
    data: { ...c.data, path: at(c.data.path), rowsFile: c.data.rowsFile && at(c.data.rowsFile) },
  };
}

export async function loadSwarmConfig(path: string): Promise<SwarmConfig> {
  const c = validate(SwarmConfigSchema, await readYaml(path), path);
  return { ...c, pskFile: isAbsolute(c.pskFile) ? c.pskFile : resolve(dirname(path), c.pskFile) };
}

async function readYaml(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new InputError('CONFIG_MISSING', `cannot read config file ${path}: check the path`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new InputError(
      'CONFIG_YAML',
      `${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

function validate<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, path: string): T {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const issues = res.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
  throw new InputError('CONFIG_INVALID', `${path} is invalid:\n  - ${issues.join('\n  - ')}`);
}
