import { z } from 'zod';
import { ROUND_PHASES } from '../../swarm/protocol/index.js';

const msSchema = z.number().int().nonnegative();

export const memberStatusSchema = z.object({
  peerId: z.string().min(1),
  /** The member's name from the swarm config (`members[].name`); null where the config gives none. */
  name: z.string().nullable().default(null),
  self: z.boolean(),
  /**
   * A hello made it live and it was heard from within the liveness window: counted by the rounds. The one meaning of "live" and
   * "online" — `membersLive`, `waitingForPeers.online`, `swarmd_members_live` all count this. Absent from
   * an older daemon's snapshot.
   */
  live: z.boolean().optional(),
  /** A direct libp2p connection to this member (its messages may also arrive relayed by others). */
  connected: z.boolean(),
  /** Wall-clock ms of the last message or heartbeat seen from this member; null if never seen. */
  lastSeenMs: msSchema.nullable(),
  /** The last message heard from this member (wire type and round); null: never heard since the start. */
  lastHeard: z.object({ type: z.string(), round: z.number().int() }).nullable().optional(),
  /** Updates of this member that applied commits left out, by reason (`non-finite`, `norm`, …). */
  excluded: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** Misbehaviour this site saw from the member, by offence (`out-of-turn`, `false-claim`, …). */
  offences: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** Since when this site ignores the member (its offences reached the threshold); null: heard. */
  ignoredSinceMs: msSchema.nullable().optional(),
});

export const contributorSchema = z.object({
  peerId: z.string().min(1),
  samples: z.number().int().nonnegative(),
});

export const lastCommitSchema = z.object({
  round: z.number().int().nonnegative(),
  hash: z.string().min(1),
  contributors: z.array(contributorSchema),
  atMs: msSchema,
  /** The commit a restarted site resumed from its database (atMs: when its aggregator created it). */
  resumed: z.boolean().optional(),
});

/** The round cannot start: fewer than minPeers members (this site included) live, since sinceMs. */
export const waitingForPeersSchema = z.object({
  online: z.number().int().nonnegative(),
  minPeers: z.number().int().positive(),
  sinceMs: msSchema,
});

export const roundHistoryEntrySchema = z.object({
  round: z.number().int().nonnegative(),
  trainLoss: z.number(),
  /** The task's score (status `task.score`: accuracy, r2, ari) of the local model on this site's validation rows. */
  valAccuracy: z.number(),
  /** The same of the merged model, once the commit was applied; null before that. */
  mergedAccuracy: z.number().nullable(),
  durationMs: msSchema,
  atMs: msSchema,
});

/** Differential privacy (swarm config `privacy`): the ε spent so far, the same at every peer. */
export const privacyStatusSchema = z.object({
  epsilon: z.number().nonnegative(),
  delta: z.number().positive(),
  maxEpsilon: z.number().positive().nullable(),
  /** ε against one curious member (its own noise subtracted from the sum). */
  epsilonCurious: z.number().nonnegative(),
  /** ε against maxColluders colluders (their noise subtracted; 0 colluders: anyone who sees only the sum). */
  epsilonColluders: z.number().nonnegative(),
  maxColluders: z.number().int().nonnegative(),
  /** Model rounds committed so far plus sums unmasked but not committed, each one release of this site's update. */
  roundsCounted: z.number().int().nonnegative(),
  /** Sums this peer saw unmasked in rounds that were not committed (counted in roundsCounted). */
  unmaskedNotCommitted: z.number().int().nonnegative(),
  /** Rounds maxEpsilon allows (null: no maxEpsilon); this site stops training after them. */
  roundsAllowed: z.number().int().nonnegative().nullable(),
  budgetReached: z.boolean(),
  noiseMultiplier: z.number().positive(),
  clipNorm: z.number().positive(),
  /** m: the fewest senders of an unmasked sum; each site adds 1/(m − max(1, c)) of the noise variance. */
  minContributors: z.number().int().positive(),
});

/**
 * What `GET /status` serves and `swarmd status` prints. It holds identifiers and counters only: there is
 * no field a key, PSK or token could travel in.
 */
export const statusSnapshotSchema = z.object({
  peerId: z.string().min(1),
  listenAddrs: z.array(z.string()),
  backend: z.string(),
  /** What the model learns, and the score its history holds (absent from older daemons: classification, accuracy). */
  task: z.object({ kind: z.string(), score: z.string() }).optional(),
  /** What the backend computes on: the WebGPU adapter's name, or the CPU (absent from older daemons). */
  backendDevice: z.string().optional(),
  swarmId: z.string(),
  members: z.array(memberStatusSchema),
  /** Members live (this site included): how many `members[].live` are true. */
  membersLive: z.number().int().nonnegative(),
  membersTotal: z.number().int().nonnegative(),
  round: z.number().int().nonnegative(),
  /** Rounds this site trains: the swarm config's, fewer where a privacy budget runs out first (null: until stopped). */
  roundsTotal: z.number().int().positive().nullable().default(null),
  /** The last round, once it is committed and applied here: the daemon no longer trains, it only serves. */
  finishedAfterRound: z.number().int().positive().nullable().default(null),
  phase: z.enum(ROUND_PHASES),
  aggregator: z.string().nullable(),
  lastCommit: lastCommitSchema.nullable(),
  /** Absent from an older daemon's snapshot. */
  waitingForPeers: waitingForPeersSchema.nullable().optional(),
  stalledSinceMs: msSchema.nullable(),
  stalledReason: z.string().nullable(),
  history: z.array(roundHistoryEntrySchema),
  /** Messages dropped, by reason (`late`, `bad-signature`, `not-member`, …). */
  dropped: z.record(z.string(), z.number().int().nonnegative()),
  startedAtMs: msSchema,
  version: z.string(),
  /** Bytes the site's database folder takes (checkpoints within `keepCheckpoints`); null until measured. */
  dataDirBytes: z.number().int().nonnegative().nullable().optional(),
  /** null: privacy off; absent from an older daemon's snapshot. */
  privacy: privacyStatusSchema.nullable().optional(),
});

export type MemberStatus = z.infer<typeof memberStatusSchema>;
export type LastCommit = z.infer<typeof lastCommitSchema>;
export type RoundHistoryEntry = z.infer<typeof roundHistoryEntrySchema>;
export type StatusSnapshot = z.infer<typeof statusSnapshotSchema>;
export type PrivacyStatus = z.infer<typeof privacyStatusSchema>;

/** The seam between the daemon and the status server: whatever knows the state answers `status()`. */
export interface StatusSource {
  status(): StatusSnapshot;
}
