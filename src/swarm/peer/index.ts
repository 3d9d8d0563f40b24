/**
 * Swarm peer: the shell that feeds the pure round state machine with what the network brings (hellos,
 * manifests, chunks, commits, the clock) and carries out its effects (train, publish, merge and commit,
 * fetch, apply, catch up). It promises that it applies only commits whose merge it could check, and that
 * `stop()` leaves nothing of its own running.
 */
export { createSwarmPeer } from './peer.js';
export type {
  CommitRecord,
  PeerLog,
  RoundLog,
  RoundWork,
  SecureAggregationInit,
  SwarmPeer,
  SwarmPeerComponents,
  SwarmPeerEvent,
  SwarmPeerInit,
  SwarmPeerStatus,
  TrafficChannel,
} from './types.js';
