import type { NamedTensors } from '../../core/index.js';
import { encodeContribution, SecAggError } from '../protocol/index.js';
import type { SecureRoundDeps } from './secure-deps.js';
import type { SwarmPeerInit } from './types.js';
import { SecureAggregation } from './secure-round.js';

export type { SecureAggregation };

/*
 * The secure round (aggregation: secure), beside the plain path and driven by it at four points: training
 * starts (advertise keys), an update is ready (mask it), this peer aggregates (request the unmasking and wait
 * for the shares), a commit is checked (recompute the unmasked merge). Per round: signed adverts → the roster
 * (published by the first advertiser in the round's rendezvous order) → shares dealt, sealed pairwise →
 * masked vectors as ordinary chunked updates → the aggregator's unmask request → revealed shares → every peer
 * unmasks the same sum and checks the commit's merged hash. Round 0 (feature statistics) stays plain.
 */

/** The secure path when the swarm config asks for it (init.secure), else undefined. */
export function createSecureAggregation(
  d: Omit<SecureRoundDeps, 'init'> & { init: SwarmPeerInit },
): SecureAggregation | undefined {
  const { secure } = d.init;
  if (secure === undefined) return undefined;
  const params = { ...secure, minRoster: Math.max(3, d.init.minPeers) };
  return new SecureAggregation({ ...d, init: { ...d.init, secure: params } });
}

/** What this peer sends as its update: the masked vector in a secure round (null: it sits the round out). */
export async function contributionBytes(
  secure: SecureAggregation | undefined,
  self: string,
  round: number,
  result: { tensors: NamedTensors; samples: number },
  signal: AbortSignal,
): Promise<Uint8Array | null> {
  if (!secure?.covers(round)) return encodeContribution(self, result.tensors);
  try {
    return await secure.mask(round, result.tensors, result.samples, signal);
  } catch (err) {
    if (err instanceof SecAggError) return null; // the reason is in status already
    throw err;
  }
}
