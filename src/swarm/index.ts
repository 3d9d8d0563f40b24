/**
 * Swarm: decentralized rounds of learning among an allowlisted set of peers, in four rooms whose imports run
 * one way, `peer → {transfer, net} → protocol`: `protocol/` (pure: wire messages, topic sealing, the round
 * state machine, aggregator rotation, merges, signed hash-chained commits, chunks), `net/` (libp2p: PSK,
 * member gater, gossip, direct fetch, identities), `transfer/` (the updates a peer holds and the one fetch
 * policy for what it lacks) and `peer/` (the shell that drives the state machine over the others). It promises
 * that every peer applies only commits certified by a quorum of members that each recomputed the merge (this
 * peer among them when it saw the round live; fetched by merged hash and chain-verified, certificate by
 * certificate, when catching up), and it never imports tfjs: tensors cross this boundary as named
 * Float32Arrays through RoundWork.
 */
export * from './protocol/index.js';
export * from './net/index.js';
export * from './peer/index.js';
