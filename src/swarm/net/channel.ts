import type { Logger } from '../../core/index.js';
import { MAX_DIRECT_PAYLOAD_BYTES } from './direct.js';
import type { SwarmHost, SwarmTopic } from './host.js';
import { topicName } from './host.js';
import { open, seal } from '../protocol/index.js';
import {
  MAX_GOSSIP_MESSAGE_BYTES,
  WIRE_VERSION,
  decodeMessage,
  encodeMessage,
  type FetchRequest,
  type FetchResponse,
  type WireMessage,
  type WireMessageType,
} from '../protocol/index.js';

/*
 * The peer's messages on the wire: gossip sealed under the topic key (AAD = topic name) around a wire
 * message, and direct fetch requests/responses as plain wire messages (the stream is already inside the
 * PSK and noise). Whatever fails to open or decode is counted as a drop by reason and never thrown.
 */
/** The swarm's logger: core's Logger (pino's shape, structured fields first). */
export type PeerLog = Logger;

/** Where bytes went: the two gossip topics or the direct fetch protocol. */
export type TrafficChannel = 'control' | 'updates' | 'direct';

/** What the channel reports: drops by reason and bytes by channel (the peer's status book implements it). */
export interface TrafficBook {
  drop(reason: string): void;
  bytes(direction: 'in' | 'out', topic: TrafficChannel, n: number): void;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A message as the peer builds it; the channel fills in version, swarm and sender. */
export type Outgoing = DistributiveOmit<WireMessage, 'v' | 'swarmId' | 'from'>;

/** Where each message type travels: its gossip topic, or the direct fetch protocol. */
export const TOPIC_OF: Readonly<Record<WireMessageType, SwarmTopic | 'direct'>> = {
  hello: 'control',
  heartbeat: 'control',
  commit: 'control',
  vote: 'control',
  evidence: 'control',
  secagg: 'control',
  'update-manifest': 'updates',
  stats: 'updates',
  chunk: 'updates',
  'fetch-request': 'direct',
  'fetch-response': 'direct',
};

export interface PeerChannelDeps {
  swarmId: string;
  self: string;
  members: ReadonlySet<string>;
  host: SwarmHost;
  topicKey: Uint8Array;
  book: TrafficBook;
  log: PeerLog;
  /** Gossip about rounds before this one is stale. */
  minRound(): number;
}

export interface PeerChannel {
  /** Seals and publishes on the message type's topic; false (logged) when the host refused it. */
  publish(msg: Outgoing): Promise<boolean>;
  /** Receives every gossip message that opened, decoded and came from its claimed sender. */
  listen(handler: (msg: WireMessage) => void): void;
  request(
    peerId: string,
    body: FetchRequest,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<FetchResponse>;
  serve(handler: (body: FetchRequest, from: string) => Promise<FetchResponse>): void;
}

export function createPeerChannel(d: PeerChannelDeps): PeerChannel {
  const names = { control: topicName(d.swarmId, 'control'), updates: topicName(d.swarmId, 'updates') };
  const envelope = (m: Outgoing): WireMessage =>
    ({ ...m, v: WIRE_VERSION, swarmId: d.swarmId, from: d.self }) as WireMessage;
  const drop = (reason: string, fields: object): undefined => {
    d.book.drop(reason);
    d.log.debug({ reason, ...fields }, 'dropped a swarm message');
    return undefined;
  };
  const warnedVersion = new Set<string>();
  const decode = (
    bytes: Uint8Array,
    from: string,
    maxBytes: number,
    minRound?: number,
  ): WireMessage | undefined => {
    const r = decodeMessage(bytes, { swarmId: d.swarmId, members: d.members, maxBytes, minRound });
    if (!r.ok && r.reason === 'unknown-version' && !warnedVersion.has(from)) {
      // Once per peer: a member running another swarmd release is refused, and the operator told which.
      warnedVersion.add(from);
      d.log.warn(
        { peer: from, detail: r.detail },
        `refusing a member that speaks another swarm protocol (${r.detail}): every site must run the same swarmd release`,
      );
    }
    if (!r.ok) return drop(r.reason, { peer: from, detail: r.detail });
    if (r.msg.from !== from) return drop('spoofed-sender', { peer: from, claimed: r.msg.from });
    return r.msg;
  };

  const receive = (topic: SwarmTopic, sealed: Uint8Array, from: string): WireMessage | undefined => {
    d.book.bytes('in', topic, sealed.byteLength);
    let plain: Uint8Array;
    try {
      plain = open(d.topicKey, names[topic], sealed);
    } catch (err) {
      return drop('decrypt-failed', { peer: from, topic, err: (err as Error).message });
    }
    const msg = decode(plain, from, MAX_GOSSIP_MESSAGE_BYTES, d.minRound());
    if (msg === undefined) return undefined;
    if (TOPIC_OF[msg.type] !== topic) return drop('wrong-topic', { peer: from, type: msg.type, topic });
    return msg;
  };

  return {
    async publish(m) {
      const topic = TOPIC_OF[m.type];
      try {
        if (topic === 'direct') throw new Error(`${m.type} is not a gossip message`);
        const sealed = seal(d.topicKey, names[topic], encodeMessage(envelope(m)));
        await d.host.publish(topic, sealed);
        d.book.bytes('out', topic, sealed.byteLength);
        return true;
      } catch (err) {
        d.log.warn({ topic, type: m.type, round: m.round, err }, 'gossip publish failed');
        return false;
      }
    },
    listen(handler) {
      for (const topic of ['control', 'updates'] as const) {
        d.host.onMessage(topic, (bytes, from) => {
          const msg = receive(topic, bytes, from);
          if (msg !== undefined) handler(msg);
        });
      }
    },
    async request(peerId, body, timeoutMs, signal) {
      const req = encodeMessage(envelope({ type: 'fetch-request', round: d.minRound(), body }));
      d.book.bytes('out', 'direct', req.byteLength);
      const res = await d.host.request(peerId, req, { timeoutMs, signal });
      d.book.bytes('in', 'direct', res.byteLength);
      const msg = decode(res, peerId, MAX_DIRECT_PAYLOAD_BYTES);
      if (msg?.type !== 'fetch-response') throw new Error(`peer ${peerId} sent no valid fetch response`);
      return msg.body;
    },
    serve(handler) {
      d.host.handle(async (bytes, from) => {
        d.book.bytes('in', 'direct', bytes.byteLength);
        const msg = decode(bytes, from, MAX_DIRECT_PAYLOAD_BYTES);
        if (msg?.type !== 'fetch-request') throw new Error('not a valid fetch request');
        const body = await handler(msg.body, from);
        const res = encodeMessage(envelope({ type: 'fetch-response', round: d.minRound(), body }));
        d.book.bytes('out', 'direct', res.byteLength);
        return res;
      });
    },
  };
}
