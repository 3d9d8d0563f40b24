/**
 * Secure aggregation (aggregation: secure), an Aggregation the peer chooses once: members see only
 * pairwise-masked updates and unmask their sum alone. Per model round: signed adverts → the roster
 * (published by the first advertiser in the round's rendezvous order, holding every advert; thresholds from
 * the member list) → shares dealt, sealed pairwise → masked vectors as ordinary chunked updates → the signed
 * unmask request of the aggregator in turn → each sender's consistency signature on that sender set →
 * revealed shares, once a quorum signed the same set → every peer unmasks the same sum and checks the
 * commit's merged hash. It promises that no honest peer reveals for a set that singles a site out (fewer
 * than max(t, minPeers) senders, a held vector called dropped, a second set), and names who asked.
 * Round 0 (feature statistics) is masked too: a sum with weight 1 per site in its own fixed-point range,
 * validated as statistics once unmasked.
 */
import {
  chooseThreshold,
  defaultMaxColluders,
  minSenders,
  shareHolders,
  turnToleranceMs,
} from '../../protocol/index.js';
import type { Aggregation } from '../aggregation.js';
import type { SecureAggregationInit, SwarmPeerInit } from '../types.js';
import { SecureAggregation, type SecureRoundDeps } from './aggregation.js';
import type { SecureParams } from './state.js';

export type { SecureRoundDeps };

/** The parameters every member derives alike from the swarm config: n is the member list, never a roster. */
export function secureParams(init: SwarmPeerInit & { secure: SecureAggregationInit }): SecureParams {
  const { dropoutFraction, graphDegree } = init.secure;
  const n = init.members.length;
  const { threshold } = chooseThreshold(shareHolders(n, graphDegree), dropoutFraction);
  const senders = minSenders(threshold, init.minPeers);
  return {
    ...{ dropoutFraction, graphDegree, threshold, minSenders: senders },
    minRoster: Math.max(3, senders),
    maxColluders: init.secure.maxColluders ?? defaultMaxColluders(n),
    advertGraceMs: turnToleranceMs(init),
  };
}

export function createSecureAggregation(
  d: Omit<SecureRoundDeps, 'init'> & { init: SwarmPeerInit },
  secure: SecureAggregationInit,
): Aggregation {
  return new SecureAggregation({ ...d, init: { ...d.init, secure: secureParams({ ...d.init, secure }) } });
}
