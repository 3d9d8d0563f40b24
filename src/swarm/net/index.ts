/**
 * Swarm host: the I/O side of the swarm protocol — who may connect (PSK + member allowlist), gossip on the
 * swarm's `control` and `updates` topics, direct request/response between members, and peer identities.
 * It promises that nothing from a non-member reaches a handler, and that `stop()` ends every timer and socket.
 */
export {
  createSwarmHost,
  topicName,
  MAX_GOSSIP_PAYLOAD_BYTES,
  type SwarmHost,
  type SwarmHostInit,
  type SwarmTopic,
  type PeerEvent,
  type MessageHandler,
} from './host.js';
export {
  DirectRequestError,
  MAX_DIRECT_PAYLOAD_BYTES,
  directProtocolName,
  type DirectHandler,
  type DirectRequestOptions,
  type SwarmLog,
} from './direct.js';
export { createMemberGater, type MemberGater, type MemberGaterInit, type RefusalDirection } from './gater.js';
export {
  generateIdentity,
  identityToBytes,
  identityFromBytes,
  peerIdOf,
  signWith,
  verifyFromPeerId,
  IdentityError,
  type PrivateKey,
} from './identity.js';
export { createSwarmPsk, parsePskFile, pskSecret, readPskFile, writePskFile, PskError } from './psk.js';
export {
  TOPIC_OF,
  createPeerChannel,
  type Outgoing,
  type PeerChannel,
  type PeerChannelDeps,
  type PeerLog,
  type TrafficBook,
  type TrafficChannel,
} from './channel.js';
export { MemberLinks } from './links.js';
export { addrProblem } from './addr.js';
