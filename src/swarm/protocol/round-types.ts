import type { CommitRejection, Contributor, SignedCommit } from './commit.js';
import type { MergeMethod } from './merge.js';
import type { Genesis, RoundPhase } from './wire.js';

/* The round state machine's configuration, state, events and effects (the machine is in rounds.ts). */

export interface RoundConfig {
  swarmId: string;
  self: string;
  /** The allowlist, self included. */
  members: readonly string[];
  minPeers: number;
  /** From the start of training to the close of collection. */
  roundDeadlineMs: number;
  /** How long each aggregator in turn has to produce a commit before the next steps in. */
  commitTimeoutMs: number;
  /** How model rounds merge (the statistics round always sums). */
  merge: MergeMethod;
  /** How early before its turn a commit is still accepted (default commitTimeoutMs / 2; see turn.ts). */
  turnToleranceMs?: number;
  /** The swarm config round 0 must bind (absent: not checked). */
  genesis?: Genesis;
}

export interface Update {
  updateHash: string;
  samples: number;
  /** Arrived after collection closed: known (its bytes can verify a commit) but not merged by this peer. */
  late: boolean;
}

export interface RoundState {
  readonly cfg: RoundConfig;
  readonly members: ReadonlySet<string>;
  readonly phase: RoundPhase;
  readonly round: number;
  /** Hash of the last applied commit, the next commit's prevHash. */
  readonly prevHash: string | null;
  /** Members seen alive; self always. */
  readonly live: ReadonlySet<string>;
  /** Collection closes at the latest here (set when training starts). */
  readonly deadline: number | null;
  /** When collection closed: aggregator attempt k runs from closedAt + k·commitTimeoutMs. */
  readonly closedAt: number | null;
  /** Aggregator order over the members live at close, frozen so a peer lost later does not shift the turns. */
  readonly aggregators: readonly string[];
  readonly updates: ReadonlyMap<string, Update>;
  /** Updates for the next round, from peers that moved on before this one. */
  readonly early: ReadonlyMap<string, Update>;
  /** A commit waiting for updates this peer must fetch to recompute its merge; it holds back takeover. */
  readonly pending: { signed: SignedCommit; since: number } | null;
  readonly issuedAttempt: number | null;
  /** The one commit of this round each aggregator may have considered (by hash): a second is equivocation. */
  readonly commitsBy: ReadonlyMap<string, string>;
  /** Commits that came before their aggregator's turn, by aggregator: checked when the turn comes. */
  readonly heldCommits: ReadonlyMap<string, SignedCommit>;
}

export type RoundEvent =
  | { type: 'tick' }
  | { type: 'peer-seen'; peerId: string }
  | { type: 'peer-lost'; peerId: string }
  | { type: 'local-update-ready'; round: number; updateHash: string; samples: number }
  /** Raised once all chunks of the update are held. */
  | { type: 'update-received'; from: string; round: number; updateHash: string; samples: number }
  /** Raised after verifyCommitSignature; null: this peer lacks updates to recompute the merge. */
  | { type: 'commit-received'; signed: SignedCommit; recomputedMergedHash: string | null }
  | { type: 'commit-applied'; round: number; hash: string }
  /** This peer merged and signed its commit (after merge-and-commit); the machine decides if it may publish. */
  | { type: 'own-commit-signed'; signed: SignedCommit; mergedHash: string };

export type DropReason =
  | 'stale-round'
  | 'future-round'
  | 'late'
  | 'non-member'
  | 'equivocation'
  | 'duplicate-commit'
  | 'commit-equivocation'
  /** Not dropped: held until its aggregator's turn (counted with the drops to be visible). */
  | 'early-commit';

export type Effect =
  | { type: 'start-training'; round: number }
  | { type: 'publish-update'; round: number }
  /** Merge these updates and sign a commit, then raise own-commit-signed. */
  | { type: 'merge-and-commit'; round: number; attempt: number; contributors: Contributor[] }
  /** Still this peer's turn: publish its signed commit (apply-commit follows). */
  | { type: 'publish-commit'; signed: SignedCommit }
  /** The signed commit came too late (the round moved on, or another commit is being applied or fetched). */
  | { type: 'withhold-commit'; round: number }
  /** A held commit's turn came: check it again (signature, merge) and raise commit-received. */
  | { type: 'recheck-commit'; signed: SignedCommit }
  /** Apply and checkpoint; abandon local training if it still runs; then raise commit-applied. */
  | { type: 'apply-commit'; signed: SignedCommit }
  | { type: 'fetch-update'; updateHash: string; from: string }
  | {
      type: 'reject-commit';
      reason: CommitRejection;
      round: number;
      aggregator: string;
      hash: string;
      detail?: string;
    }
  | { type: 'drop'; reason: DropReason; from: string }
  | { type: 'stalled'; round: number; sinceMs: number }
  /** A commit for a later round: this peer is behind and should fetch the log from `fromRound`. */
  | { type: 'catch-up'; fromRound: number; from: string };

export interface StepResult {
  state: RoundState;
  effects: Effect[];
}
