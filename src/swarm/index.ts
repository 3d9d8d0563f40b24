/**
 * Swarm: decentralized rounds of learning among an allowlisted set of peers. The pure protocol (wire
 * messages, topic sealing, deterministic merges, aggregator rotation, signed hash-chained commits, chunks,
 * the round state machine), the libp2p host (PSK, member gater, gossip, direct fetch, identities), and the
 * swarm peer that drives rounds over the host. It promises that every peer applies only commits whose merge
 * it could check (recomputed from the updates, or fetched by merged hash and chain-verified when catching
 * up), and it never imports tfjs: tensors cross this boundary as named Float32Arrays through RoundWork.
 */
export * from './protocol-index.js';
export * from './host-index.js';
export { createSwarmPeer } from './peer.js';
export type {
  CommitRecord,
  PeerLog,
  RoundWork,
  SwarmPeer,
  SwarmPeerComponents,
  SwarmPeerEvent,
  SwarmPeerInit,
  SwarmPeerStatus,
  TrafficChannel,
} from './peer-types.js';
