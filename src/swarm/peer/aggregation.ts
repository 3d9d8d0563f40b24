import type { NamedTensors } from '../../core/index.js';
import type {
  Contributor,
  MergePolicy,
  NamedExclusion,
  Recomputed,
  RoundCommit,
  WireMessage,
} from '../protocol/index.js';

/*
 * How a swarm aggregates, as the round driver sees it: one interface, chosen once in peer.ts from the swarm
 * config (plain.ts; secure/ for `aggregation: secure`). The driver calls it at five points and never asks
 * which mode it holds. A third mode is one more implementation (its folder, a config value, and a wire type
 * of its own if it needs messages).
 */
export interface Aggregation {
  /** Training of `round` starts (secure: advertise round keys, help fix the roster). */
  startRound(round: number): void;
  /** The bytes this peer sends as its update of `round`; null: it sits the round out (the reason is logged). */
  contribute(
    round: number,
    result: { tensors: NamedTensors; samples: number },
    signal: AbortSignal,
  ): Promise<Uint8Array | null>;
  /** This peer's aggregator turn: the merge to commit, the contributors it names and those it left out. */
  aggregate(
    c: { round: number; method: MergePolicy['merge']; kind: 'stats' | 'model'; contributors: Contributor[] },
    policy: MergePolicy,
    signal: AbortSignal,
  ): Promise<AggregateResult>;
  /** The merge a commit names, recomputed from what this peer holds. */
  recompute(c: RoundCommit, policy: MergePolicy): Recomputed;
  /** A wire message of this mode's own (secure: `secagg`). */
  onMessage(msg: WireMessage): void;
}

export interface AggregateResult {
  r: Recomputed;
  contributors: Contributor[];
  excluded: NamedExclusion[];
}
