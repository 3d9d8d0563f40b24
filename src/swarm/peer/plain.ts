import {
  encodeContribution,
  planMerge,
  recomputeMerge,
  type HeldUpdates,
  type MergePolicy,
} from '../protocol/index.js';
import type { Aggregation, AggregateResult } from './aggregation.js';

/*
 * Plain aggregation: every update travels in the clear, so the aggregator validates each one (non-finite,
 * wrong shape, inflated sample count, out-of-bound norm), leaves the bad ones out and names them in the
 * commit — every peer recomputes the same list — and merges the rest if still a quorum.
 */
export class PlainAggregation implements Aggregation {
  constructor(private readonly d: { self: string; store: HeldUpdates; minPeers: number }) {}

  startRound(): void {}

  async contribute(_round: number, result: { tensors: Parameters<typeof encodeContribution>[1] }) {
    return encodeContribution(this.d.self, result.tensors);
  }

  async aggregate(c: Parameters<Aggregation['aggregate']>[0], policy: MergePolicy): Promise<AggregateResult> {
    const { r, contributors, excluded } = planMerge(this.d.store, c, policy, this.d.minPeers);
    const named = excluded.map(({ peerId, updateHash, reason }) => ({ peerId, updateHash, reason }));
    return { r, contributors, excluded: named };
  }

  recompute(c: Parameters<Aggregation['recompute']>[0], policy: MergePolicy) {
    return recomputeMerge(this.d.store, c, policy);
  }

  onMessage(): void {} // plain aggregation has no messages of its own
}
