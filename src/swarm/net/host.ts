/**
 * The swarm's libp2p host: TCP + pnet (swarm PSK) + noise + yamux, gossipsub on the `control` and `updates`
 * topics, the member gater, the direct fetch protocol, and bootstrap dialling that keeps retrying so a
 * restarted peer rejoins. No mDNS, no DHT: members find each other only through bootstrap addresses.
 */
import '../../core/polyfill.js';
import { createHash } from 'node:crypto';
import { GossipSub } from '@chainsafe/libp2p-gossipsub';
import type { RPC } from '@chainsafe/libp2p-gossipsub/message';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify, type Identify } from '@libp2p/identify';
import { TopicValidatorResult } from '@libp2p/interface';
import type { Libp2p, Message, PrivateKey, TopicValidatorFn } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping, type Ping } from '@libp2p/ping';
import { preSharedKey } from '@libp2p/pnet';
import { tcp } from '@libp2p/tcp';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { SwarmdError } from '../../core/errors.js';
import {
  createDirectProtocol,
  timeoutSignal,
  type DirectHandler,
  type DirectRequestOptions,
  type SwarmLog,
} from './direct.js';
import { createMemberGater, type MemberGater, type RefusalDirection } from './gater.js';
import { peerIdOf } from './identity.js';
import { addrProblem } from './addr.js';
import { createRedialer } from './bootstrap.js';
import { parsePskFile } from './psk.js';

export type SwarmTopic = 'control' | 'updates';
export type PeerEvent = 'connect' | 'disconnect';
export type MessageHandler = (bytes: Uint8Array, fromPeerId: string) => void;

/** Largest payload `publish` accepts; gossipsub peers drop bigger RPCs, so split updates into chunks. */
export const MAX_GOSSIP_PAYLOAD_BYTES = 4 * 1024 * 1024;
/**
 * How long a connection's handshake may take, for the pnet nonce exchange and libp2p's dial and inbound
 * upgrade (its defaults: 1 s for pnet, 10 s for the rest). With 1 s most handshakes failed when 20 daemons
 * started at once on a loaded 2-core machine (event-loop lag of 1–2 s), and the sites started last never
 * connected to their bootstrap peer; at load 40 even 10 s left some sites out.
 */
const HANDSHAKE_TIMEOUT_MS = 30_000;
/** Shortest wait for libp2p's connection ping before it aborts the connection (its default is 5 s). */
const CONNECTION_PING_TIMEOUT_MS = 30_000;
/** Inbound gossipsub RPC limit: the largest payload plus room for signature and piggybacked control. */
const MAX_INBOUND_RPC_BYTES = MAX_GOSSIP_PAYLOAD_BYTES + 512 * 1024;

export interface SwarmHostInit {
  privateKey: PrivateKey;
  /** Listen multiaddrs, e.g. `/ip4/127.0.0.1/tcp/0`. */
  listen: string[];
  /** The swarm key file bytes (libp2p pnet format). */
  psk: Uint8Array;
  swarmId: string;
  /** Peer ids allowed to connect and whose messages are accepted. */
  members: string[];
  /** Multiaddrs dialled at start and re-dialled with backoff while not connected. */
  bootstrap?: string[];
  onRefused?: (peerId: string, direction: RefusalDirection) => void;
  onPeer?: (peerId: string, event: PeerEvent) => void;
  log?: SwarmLog;
  /** First re-dial delay for an unreachable bootstrap peer (default 1000); doubles up to `redialMaxMs`. */
  redialMinMs?: number;
  /** Longest re-dial delay (default 30000). */
  redialMaxMs?: number;
}

export interface SwarmHost {
  readonly peerId: string;
  /** Listen addresses with the `/p2p/<peerId>` suffix (empty before start). */
  addrs(): string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  publish(topic: SwarmTopic, bytes: Uint8Array): Promise<void>;
  /** Adds a handler for messages from members on `topic` (own messages are not delivered). */
  onMessage(topic: SwarmTopic, handler: MessageHandler): void;
  connectedPeers(): string[];
  /** Connected peers known to be subscribed to `topic`. */
  topicPeers(topic: SwarmTopic): string[];
  /**
   * Peers in this host's gossipsub mesh for `topic`. Only mesh peers get messages this host relays, and the
   * mesh forms at the heartbeat (1 s) after a peer subscribes: wait for it before relying on relayed gossip.
   */
  meshPeers(topic: SwarmTopic): string[];
  /**
   * Connects to `addr` (libp2p's dial timeout, 10 s, unless `timeoutMs`). Resolving does not prove the
   * remote accepted us: its gater closes the connection just after the handshake if we are not a member.
   */
  dial(addr: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<void>;
  request(peerId: string, bytes: Uint8Array, options: DirectRequestOptions): Promise<Uint8Array>;
  handle(handler: DirectHandler): void;
  /** Replaces the member set and hangs up on connected peers no longer in it. */
  setMembers(peerIds: string[]): void;
}

type Services = { identify: Identify; ping: Ping; pubsub: GossipSub };
type Node = Libp2p<Services>;

const silentLog: SwarmLog = { debug: () => {}, warn: () => {} };

export function topicName(swarmId: string, topic: SwarmTopic): string {
  return `/swarmd/${swarmId}/${topic}/1`;
}

/** Builds the host (not started). Throws a SwarmdError for a bad swarm id, PSK, member id or address. */
export async function createSwarmHost(init: SwarmHostInit): Promise<SwarmHost> {
  checkSwarmId(init.swarmId);
  init.members.forEach((id) => parsePeerId(id, 'member'));
  const bootstrap = (init.bootstrap ?? []).map(parseAddr);
  const log = init.log ?? silentLog;
  const members = createMemberGater({ members: init.members, onRefused: init.onRefused });
  const node = await createNode(init, members);
  const self = peerIdOf(init.privateKey);
  const topics = { control: topicName(init.swarmId, 'control'), updates: topicName(init.swarmId, 'updates') };
  const handlers = new Map(Object.values(topics).map((t): [string, MessageHandler[]] => [t, []]));
  const direct = createDirectProtocol(init.swarmId, { node, isMember: members.isMember, log });
  const redial = createRedialer(node, bootstrap, {
    self,
    isMember: members.isMember,
    log,
    redialMinMs: init.redialMinMs,
    redialMaxMs: init.redialMaxMs,
  });
  installMessageFilter(node, members, Object.values(topics));
  node.services.pubsub.addEventListener('message', (evt) => deliver(evt.detail, handlers, members, log));
  node.addEventListener('peer:connect', (evt) => init.onPeer?.(evt.detail.toString(), 'connect'));
  node.addEventListener('peer:disconnect', (evt) => {
    init.onPeer?.(evt.detail.toString(), 'disconnect');
    redial.peerLeft(evt.detail.toString());
  });

  let running = false;
  let transition: Promise<void> = Promise.resolve();
  // Serialise start/stop; an earlier failure was already reported to its own caller.
  const queue = (step: () => Promise<void>): Promise<void> =>
    (transition = transition.catch(() => undefined).then(step));

  return {
    peerId: self,
    addrs: () => node.getMultiaddrs().map(String),
    start: () =>
      queue(async () => {
        if (running) return;
        try {
          await node.start();
          Object.values(topics).forEach((t) => node.services.pubsub.subscribe(t));
          await direct.start();
        } catch (err) {
          await node.stop(); // undo a partial start so nothing keeps listening
          throw new SwarmdError(
            'HOST_START_FAILED',
            `could not start the swarm host on ${init.listen.join(', ')}: ${errorText(err)}; check that the listen addresses are free and valid`,
            { cause: err },
          );
        }
        redial.start();
        running = true;
      }),
    stop: () =>
      queue(async () => {
        if (!running) return;
        running = false;
        redial.stop();
        await direct.stop();
        await node.stop();
      }),
    async publish(topic, bytes) {
      if (!running) throw new SwarmdError('HOST_NOT_STARTED', 'start the swarm host before publishing');
      if (bytes.byteLength > MAX_GOSSIP_PAYLOAD_BYTES) {
        throw new SwarmdError(
          'GOSSIP_TOO_LARGE',
          `a ${bytes.byteLength}-byte message exceeds the ${MAX_GOSSIP_PAYLOAD_BYTES}-byte gossip limit; split it into chunks`,
        );
      }
      await node.services.pubsub.publish(topics[topic], bytes);
    },
    onMessage: (topic, handler) => handlers.get(topics[topic])?.push(handler),
    connectedPeers: () => node.getPeers().map(String),
    topicPeers: (topic) => node.services.pubsub.getSubscribers(topics[topic]).map(String),
    meshPeers: (topic) => (running ? node.services.pubsub.getMeshPeers(topics[topic]) : []),
    async dial(addr, options = {}) {
      const deadline =
        options.timeoutMs == null ? undefined : timeoutSignal(options.timeoutMs, options.signal);
      try {
        await node.dial(parseAddr(addr), { signal: deadline?.signal ?? options.signal });
      } catch (err) {
        const why =
          deadline?.signal.aborted === true ? `no handshake within ${options.timeoutMs} ms` : errorText(err);
        throw new SwarmdError(
          'DIAL_FAILED',
          `could not connect to ${addr} (${why}); check that the peer runs there, uses the same swarm key and lists this peer as a member`,
          { cause: err },
        );
      } finally {
        deadline?.clear();
      }
    },
    request: (peerId, bytes, options) => direct.request(peerId, bytes, options),
    handle: (handler) => direct.handle(handler),
    setMembers(peerIds) {
      peerIds.forEach((id) => parsePeerId(id, 'member'));
      members.setMembers(peerIds);
      for (const peer of node.getPeers()) {
        if (members.isMember(peer.toString())) continue;
        node.hangUp(peer).catch((err: unknown) => log.warn({ peer: peer.toString(), err }, 'hang-up failed'));
      }
    },
  };
}

async function createNode(init: SwarmHostInit, members: MemberGater): Promise<Node> {
  return createLibp2p<Services>({
    start: false,
    privateKey: init.privateKey,
    addresses: { listen: init.listen },
    transports: [tcp()],
    connectionProtector: preSharedKey({ psk: parsePskFile(init.psk), timeout: HANDSHAKE_TIMEOUT_MS }),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: members.gater,
    // libp2p refuses more than 5 inbound connections a second from one IP and more than 10 pending
    // handshakes: every member may dial at once (a swarm starting, sites behind one NAT, every site on
    // loopback). Members are the only ones the gater lets in, so allow a burst of all of them.
    // Handshakes (PSK nonces, noise, yamux) get HANDSHAKE_TIMEOUT_MS, not libp2p's 10 s: a site started last
    // on a busy machine otherwise never completed one with its only bootstrap peer.
    connectionManager: {
      inboundConnectionThreshold: Math.max(5, init.members.length),
      maxIncomingPendingConnections: Math.max(10, init.members.length),
      dialTimeout: HANDSHAKE_TIMEOUT_MS,
      inboundUpgradeTimeout: HANDSHAKE_TIMEOUT_MS,
    },
    // libp2p pings every connection each 10 s and aborts it when a ping takes over 5 s: a site whose event
    // loop stalls that long (start-up, a busy CPU) lost every link at once. Liveness is the swarm's hellos.
    connectionMonitor: { pingTimeout: { minTimeout: CONNECTION_PING_TIMEOUT_MS } },
    services: {
      identify: identify(),
      ping: ping(),
      // The class rather than the `gossipsub()` factory, whose declared return type hides getMeshPeers.
      pubsub: (components) =>
        new GossipSub(components, {
          globalSignaturePolicy: 'StrictSign',
          emitSelf: false,
          allowPublishToZeroTopicPeers: true,
          fallbackToFloodsub: false,
          maxInboundDataLength: MAX_INBOUND_RPC_BYTES,
          // Gossipsub's IP-colocation penalty (−5 × (peers on one IP − 10)²) guards open networks against
          // Sybils; here only PSK-holding members on the allowlist connect, and sites may share an IP (a
          // NAT, loopback). With it on, 20 sites on one IP scored −405 < graylist (−80): every RPC ignored.
          scoreParams: { IPColocationFactorWeight: 0 },
          fastMsgIdFn: fastMessageId,
        }),
    },
  });
}

/**
 * Gossipsub checks a message's signature before it looks the message up among those seen, unless it has a
 * fast id: without one every copy the mesh forwards (up to min(6, n − 1) per message) cost an Ed25519
 * verification and a key import, 21 % of 20 daemons' CPU when idle. The id is SHA-256 over exactly what the
 * signature covers (author, sequence number, topic, data; each length-prefixed), so two messages with one
 * id are the same signed message, and gossipsub records an id only after a copy's signature checked out:
 * a forged copy sent first neither passes nor hides the genuine one.
 */
export function fastMessageId(m: RPC.Message): string {
  const h = createHash('sha256');
  for (const part of [m.from, m.seqno, Buffer.from(m.topic), m.data]) {
    const bytes = part ?? new Uint8Array(0);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    h.update(length).update(bytes);
  }
  return h.digest('base64');
}

/** Gossipsub validation: unsigned messages are rejected; ones authored by a non-member are neither
 * delivered nor forwarded (ignored, not penalised, since the relaying member may hold an older list). */
function installMessageFilter(node: Node, members: MemberGater, topics: string[]): void {
  const validate: TopicValidatorFn = (_source, msg) => {
    if (msg.type !== 'signed') return TopicValidatorResult.Reject;
    return members.isMember(msg.from.toString()) ? TopicValidatorResult.Accept : TopicValidatorResult.Ignore;
  };
  topics.forEach((t) => node.services.pubsub.topicValidators.set(t, validate));
}

function deliver(
  msg: Message,
  handlers: Map<string, MessageHandler[]>,
  members: MemberGater,
  log: SwarmLog,
): void {
  if (msg.type !== 'signed' || !members.isMember(msg.from.toString())) return; // validator already dropped it
  const from = msg.from.toString();
  for (const handler of handlers.get(msg.topic) ?? []) {
    try {
      handler(msg.data, from);
    } catch (err) {
      log.warn({ topic: msg.topic, peer: from, err }, 'message handler threw');
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function checkSwarmId(swarmId: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(swarmId)) {
    throw new SwarmdError(
      'SWARM_ID_INVALID',
      `swarm id ${JSON.stringify(swarmId)} must be 1-64 letters, digits, '.', '_' or '-'; fix it in the swarm config`,
    );
  }
}

function parsePeerId(id: string, what: string): void {
  try {
    peerIdFromString(id);
  } catch (err) {
    throw new SwarmdError(
      'PEER_ID_INVALID',
      `${what} ${JSON.stringify(id)} is not a libp2p peer id; fix the swarm config`,
      {
        cause: err,
      },
    );
  }
}

function parseAddr(addr: string): Multiaddr {
  const problem = addrProblem(addr);
  if (problem !== null) throw new SwarmdError('MULTIADDR_INVALID', problem);
  return multiaddr(addr);
}
