import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError, TRAINING_DEFAULTS, TRAINING_RANGES, rangeSchema } from '../core/index.js';
import { FeatureTransformSchema, InrConfigSchema, MODEL_ARCHS, labelKey } from '../models/index.js';
import { MODEL_MERGE_METHODS, addrProblem } from '../swarm/index.js';
import { AggregationSchema, checkAggregation, SecureAggregationSchema } from './aggregation-config.js';
import { checkPrivacy, PrivacySchema } from './privacy-config.js';

const unique = (names: string[]) => new Set(names).size === names.length;

/** A listen or bootstrap address: a multiaddr, and a /p2p/ part (if any) a libp2p peer id. */
const MultiaddrSchema = z.string().superRefine((addr, ctx) => {
  const problem = addrProblem(addr);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

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
    /** Checkpoints kept in the database: the newest N, plus the one the latest commit applied. */
    keepCheckpoints: z.number().int().min(1).default(5),
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
    listen: z
      .array(MultiaddrSchema)
      .min(1, 'list at least one address to listen on (e.g. /ip4/0.0.0.0/tcp/4001), or remove listen')
      .default(['/ip4/127.0.0.1/tcp/0']),
    bootstrap: z.array(MultiaddrSchema).default([]),
    http: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(0),
        token: z
          .string()
          .min(16)
          .regex(/^\S+$/, 'a token is one word: no spaces or line breaks (they never match the header)')
          .optional(),
      })
      .strict()
      .default({}),
    training: z
      .object({
        epochsPerRound: rangeSchema(TRAINING_RANGES.epochs).default(TRAINING_DEFAULTS.epochsPerRound),
        batchSize: rangeSchema(TRAINING_RANGES.batchSize).default(TRAINING_DEFAULTS.batchSize),
        /** Unset: the swarm model's architecture's default (defaultLearningRate). */
        learningRate: rangeSchema(TRAINING_RANGES.learningRate).optional(),
        valFraction: rangeSchema(TRAINING_RANGES.fraction).default(TRAINING_DEFAULTS.valFraction),
        seed: rangeSchema(TRAINING_RANGES.seed).default(42),
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

/**
 * Robust merges and update validation (issue 11). Validation runs at every peer, the same way, before any
 * merge: an update with the wrong shapes, a non-finite value, a sample count other than its round-0 count or a
 * norm past the bounds is left out and named in the commit.
 */
const RobustMergeKeys = {
  /** trimmed-mean: values dropped at each end of every coordinate, a count (integer ≥ 1) or a fraction. */
  trim: z
    .number()
    .refine((v) => (Number.isInteger(v) && v >= 1) || (v > 0 && v < 0.5), {
      message: 'trim is a count (an integer ≥ 1) or a fraction of the contributors in (0, 0.5)',
    })
    .optional(),
  /** clipped-fedavg: the L2 norm of (update − last model) beyond which an update is scaled down. */
  clipNorm: z.number().positive('clipNorm must be positive').finite().optional(),
  /** Exclude an update whose L2 distance from the last merged model exceeds this. */
  maxUpdateNorm: z.number().positive('maxUpdateNorm must be positive').finite().optional(),
  /** Exclude an update whose distance exceeds this multiple of the round's median distance. */
  normMultiple: z.number().min(1, 'normMultiple must be at least 1 (the median itself)').finite().optional(),
  /** Largest share of a merge's total sample weight one site may carry; larger claims are lowered. */
  maxSampleWeight: z
    .number()
    .gt(0, 'maxSampleWeight is a fraction in (0, 1]')
    .max(1, 'maxSampleWeight is a fraction in (0, 1]')
    .optional(),
};
type RobustMergeConfig = z.infer<z.ZodObject<typeof RobustMergeKeys>> & {
  merge: (typeof MODEL_MERGE_METHODS)[number];
  minPeers: number;
};

const PeerIdSchema = z.string().min(46, 'a libp2p peer id (12D3Koo…, printed by swarmd init)');

/** A member: `{name, peerId}` (name shown in status), or a plain peer id string as older configs have it. */
const MemberSchema = z
  .union([PeerIdSchema, z.object({ name: z.string().min(1).optional(), peerId: PeerIdSchema }).strict()])
  .transform((m) =>
    typeof m === 'string' ? { name: null, peerId: m } : { name: m.name ?? null, peerId: m.peerId },
  );

/** The consortium: who is in it, its secret, its rhythm, and the model everyone trains. */
export const SwarmConfigSchema = z
  .object({
    swarmId: z
      .string()
      .min(1)
      .regex(/^[\w.-]+$/, 'letters, digits, dot, dash, underscore'),
    pskFile: z.string().min(1),
    members: z
      .array(MemberSchema)
      .min(1, 'no members yet: run `swarmd init --config <site config> --add-to-swarm` at every site first'),
    minPeers: z.number().int().min(1).default(2),
    /**
     * Members whose votes make a commit final (a quorum certificate). Default: a strict majority,
     * ⌊members/2⌋ + 1, the least that keeps two certified commits of one round from both existing without a
     * member voting twice; set it higher to tolerate more lying members at the cost of liveness.
     */
    certQuorum: z.number().int().min(1).optional(),
    /** Rounds to run before the daemon stops training and only serves (null: run until stopped). */
    rounds: z.number().int().positive().nullable().default(5),
    roundDeadlineMs: z.number().int().positive().default(120_000),
    commitTimeoutMs: z.number().int().positive().default(20_000),
    /** How model rounds merge: FedAvg, or a rule that one bad member cannot steer (see RobustMergeKeys). */
    merge: z.enum(MODEL_MERGE_METHODS).default('fedavg'),
    ...RobustMergeKeys,
    /** plain, or secure: members see only pairwise-masked updates (see aggregation-config.ts). */
    aggregation: AggregationSchema,
    secure: SecureAggregationSchema,
    /** Optional distributed differential privacy on top of aggregation: secure (see privacy-config.ts). */
    privacy: PrivacySchema.optional(),
    /** Data preparation every site applies before the shared standardisation (recorded in checkpoints). */
    preprocess: z
      .object({ transform: FeatureTransformSchema.default('none') })
      .strict()
      .default({}),
    model: z
      .object({
        arch: z.enum(MODEL_ARCHS).default('proteomics'),
        /** Every site maps labels to these indices, even a site that lacks some classes. */
        classNames: z
          .array(z.string().min(1))
          .min(2)
          .refine((c) => unique(c.map(labelKey)), {
            message:
              'a class is listed twice (names that differ only in spaces or number form are one class)',
          }),
        inr: InrConfigSchema.nullable().optional(),
        seed: z.number().int().nonnegative().default(42),
      })
      .strict(),
  })
  .strict()
  .refine((c) => c.minPeers <= c.members.length, { message: 'minPeers exceeds the number of members' })
  .superRefine(checkCertQuorum)
  .superRefine(checkMergeKeys)
  .superRefine(checkAggregation)
  .superRefine(checkPrivacy)
  .refine((c) => new Set(c.members.map((m) => m.peerId)).size === c.members.length, {
    message: 'a peer id is listed twice',
  })
  .refine((c) => unique(c.members.flatMap((m) => (m.name === null ? [] : [m.name]))), {
    message: 'a member name is listed twice: status shows members by name',
  });

/** certQuorum between a strict majority of the members (below it two rounds' quorums need not meet) and all. */
function checkCertQuorum(
  c: { certQuorum?: number; members: readonly unknown[] },
  ctx: z.RefinementCtx,
): void {
  const n = c.members.length;
  const majority = Math.floor(n / 2) + 1;
  if (c.certQuorum === undefined || (c.certQuorum >= majority && c.certQuorum <= n)) return;
  ctx.addIssue({
    code: 'custom',
    path: ['certQuorum'],
    message: `certQuorum ${c.certQuorum} must be between ${majority} (a strict majority of the ${n} members: any less and two conflicting commits could both be certified) and ${n}; leave it out for ${majority}`,
  });
}

/** Each parameter belongs to one merge rule; a key set for another rule is an error, not silently ignored. */
function checkMergeKeys(c: RobustMergeConfig, ctx: z.RefinementCtx): void {
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (c.merge === 'trimmed-mean' && c.trim === undefined)
    issue(
      'trim',
      'merge trimmed-mean needs trim: a count dropped at each end (e.g. 1) or a fraction (e.g. 0.2)',
    );
  if (c.merge !== 'trimmed-mean' && c.trim !== undefined)
    issue('trim', `trim applies only to merge: trimmed-mean (merge is ${c.merge})`);
  if (c.merge === 'clipped-fedavg' && c.clipNorm === undefined)
    issue(
      'clipNorm',
      'merge clipped-fedavg needs clipNorm: the largest L2 norm of an update counted in full',
    );
  if (c.merge !== 'clipped-fedavg' && c.clipNorm !== undefined)
    issue('clipNorm', `clipNorm applies only to merge: clipped-fedavg (merge is ${c.merge})`);
  if (c.trim !== undefined && Number.isInteger(c.trim) && c.minPeers <= 2 * c.trim) {
    issue(
      'trim',
      `trim ${c.trim} drops ${2 * c.trim} of each coordinate's values, so a round needs more than ${2 * c.trim} contributors: raise minPeers (now ${c.minPeers}) or lower trim`,
    );
  }
}

export type SiteConfig = z.infer<typeof SiteConfigSchema>;
export type SwarmConfig = z.infer<typeof SwarmConfigSchema>;

/** Reads a YAML file, validates it and resolves its relative paths against the file's own folder. */
export async function loadSiteConfig(path: string): Promise<SiteConfig> {
  const c = validate(SiteConfigSchema, await readYaml(path), path);
  const at = (p: string) => {
    const home = homePath(p, path);
    return isAbsolute(home) ? home : resolve(dirname(path), home);
  };
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
  const pskFile = homePath(c.pskFile, path);
  return { ...c, pskFile: isAbsolute(pskFile) ? pskFile : resolve(dirname(path), pskFile) };
}

/** `~` and `~/x` are the user's home, as a shell reads them (YAML does not: they made a folder named ~). */
function homePath(p: string, configPath: string): string {
  if (p === '~' || p.startsWith('~/')) return join(homedir(), p.slice(1));
  if (p.startsWith('~')) {
    throw new InputError(
      'CONFIG_INVALID',
      `${configPath}: the path ${p} names another user's home (~user), which swarmd does not read: write the full path`,
    );
  }
  return p;
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
