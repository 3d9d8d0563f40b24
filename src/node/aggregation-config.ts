import { z } from 'zod';
import {
  chooseThreshold,
  collusionProblems,
  defaultMaxColluders,
  minSenders,
  SecAggError,
  shareHolders,
} from '../swarm/index.js';

/*
 * How a swarm aggregates (issue 7): `plain` (every member receives every update in the clear) or `secure`
 * (pairwise-masked updates: a member receives only masked vectors and learns the sum alone). Secure
 * aggregation hides individual updates, so it cannot be combined with anything that must look at one: the
 * robust merges and the per-update norm bounds. The check below refuses those combinations, saying why.
 */
export const AggregationSchema = z.enum(['plain', 'secure']).default('plain');

export const SecureAggregationSchema = z
  .object({
    /** Share of each secret's holders that may drop out of a round after set-up; fixes the threshold t. */
    dropoutFraction: z
      .number()
      .gt(0)
      .lt(0.5, 'dropoutFraction must be below 0.5 (t stays a majority)')
      .default(0.34),
    /** SecAgg+ graph degree k (each site masks with k others): a number, `auto` (O(log n)) or `all`. */
    graphDegree: z.union([z.number().int().min(2), z.enum(['auto', 'all'])]).default('all'),
    /** c: members that may collude and lie; default ⌊(n − 1)/3⌋ of the member list (0 for 3 sites). */
    maxColluders: z.number().int().min(0).optional(),
  })
  .strict()
  .default({});

export type SecureAggregationConfig = z.infer<typeof SecureAggregationSchema>;

interface AggregationFields {
  aggregation: 'plain' | 'secure';
  secure: SecureAggregationConfig;
  merge: string;
  minPeers: number;
  members: readonly unknown[];
  maxUpdateNorm?: number;
  normMultiple?: number;
  maxSampleWeight?: number;
}

const NEEDS_PLAINTEXT = 'needs each update in the clear, which secure aggregation hides from every member';

/** Adds an issue for every setting that `aggregation: secure` cannot honour. */
export function checkAggregation(c: AggregationFields, ctx: z.RefinementCtx): void {
  if (c.aggregation !== 'secure') return;
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (c.merge !== 'fedavg') {
    issue('merge', `merge ${c.merge} ${NEEDS_PLAINTEXT}: use aggregation: plain for robust merges`);
  }
  // maxUpdateNorm stays: each site clips its own update to it before masking (honest sites only, README).
  for (const key of ['normMultiple', 'maxSampleWeight'] as const) {
    if (c[key] !== undefined) {
      issue(key, `${key} ${NEEDS_PLAINTEXT}: remove it or use aggregation: plain`);
    }
  }
  if (c.minPeers < 3) {
    issue(
      'minPeers',
      "aggregation: secure needs minPeers ≥ 3: with 2 contributors each learns the other's update from the sum",
    );
  }
  const n = c.members.length;
  let threshold: number;
  try {
    threshold = chooseThreshold(shareHolders(n, c.secure.graphDegree), c.secure.dropoutFraction).threshold;
  } catch (err) {
    if (!(err instanceof SecAggError)) throw err;
    return issue(
      'secure',
      `with ${n} members (${shareHolders(n, c.secure.graphDegree)} share holders each): ${err.message}`,
    );
  }
  const maxColluders = c.secure.maxColluders ?? defaultMaxColluders(n);
  const bounds = { members: n, threshold, minSenders: minSenders(threshold, c.minPeers), maxColluders };
  for (const problem of collusionProblems(bounds))
    issue('secure', `maxColluders ${maxColluders}: ${problem}`);
}
