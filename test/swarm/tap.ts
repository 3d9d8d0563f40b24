import {
  decodeMessage,
  deriveTopicKey,
  encodeMessage,
  open,
  pskSecret,
  seal,
  topicName,
  WIRE_VERSION,
  type SwarmHost,
  type SwarmTopic,
  type WireMessage,
} from '../../src/swarm/index.js';
import { SWARM, type TestSwarm } from './peer-harness.js';

/*
 * A tap on a test site's host: every gossip message it receives or sends, decoded (what a curious member
 * holds), and a hook that may rewrite or drop what it sends (a lying, forging or dead member).
 */
export interface Tap {
  /** Each message this host received, decoded, with its raw sealed size. */
  onIn?(msg: WireMessage, topic: SwarmTopic): void;
  /** Each direct response this host received (chunks and updates it fetched), decoded. */
  onResponse?(msg: WireMessage): void;
  /** Awaited before a received message reaches the peer (a slow link from one member to this one). */
  holdIn?(msg: WireMessage, topic: SwarmTopic): Promise<void> | void;
  /** What to send instead of `msg`: the message itself, rewritten ones (several: an injection), or null. */
  onOut?(msg: WireMessage, topic: SwarmTopic): Sent | Promise<Sent>;
  /** What this host's peer gets instead of a received `msg` (a sender that told this site something else). */
  rewriteIn?(msg: WireMessage): WireMessage | Promise<WireMessage>;
}

type Sent = WireMessage | WireMessage[] | null;

export function tapHost(swarm: TestSwarm, tap: Tap): (h: SwarmHost) => SwarmHost {
  const key = deriveTopicKey(pskSecret(swarm.psk), SWARM);
  const members = new Set(swarm.members);
  const decode = (topic: SwarmTopic, bytes: Uint8Array) => {
    const r = decodeMessage(open(key, topicName(SWARM, topic), bytes), {
      swarmId: SWARM,
      members,
      maxBytes: 8 << 20,
    });
    return r.ok ? r.msg : undefined;
  };
  const sealed = (topic: SwarmTopic, m: WireMessage) =>
    seal(key, topicName(SWARM, topic), encodeMessage({ ...m, v: WIRE_VERSION }));
  return (h) => ({
    ...h,
    publish: async (topic, bytes) => {
      const msg = decode(topic, bytes);
      if (msg === undefined || tap.onOut === undefined) return h.publish(topic, bytes);
      const out = await tap.onOut(msg, topic);
      if (out === msg) return h.publish(topic, bytes);
      for (const m of out === null ? [] : Array.isArray(out) ? out : [out])
        await h.publish(topic, sealed(topic, m));
    },
    request: async (peerId, bytes, options) => {
      const res = await h.request(peerId, bytes, options);
      const r = decodeMessage(res, { swarmId: SWARM, members, maxBytes: 64 << 20 });
      if (r.ok) tap.onResponse?.(r.msg);
      return res;
    },
    onMessage: (topic, handler) =>
      h.onMessage(topic, (bytes, from) => {
        const msg = decode(topic, bytes);
        if (msg !== undefined) tap.onIn?.(msg, topic);
        const hold = msg === undefined ? undefined : tap.holdIn?.(msg, topic);
        if (msg === undefined || (hold === undefined && tap.rewriteIn === undefined))
          return handler(bytes, from);
        void Promise.resolve(hold)
          .then(() => tap.rewriteIn?.(msg) ?? msg)
          .then((m) => handler(m === msg ? bytes : sealed(topic, m), from));
      }),
  });
}

/**
 * Drops this member's part in unmasking model rounds (its unmask requests, consistency signatures and
 * revealed shares): dead after sending. Round 0 (the statistics, masked too) goes through.
 */
export function silentInUnmasking(msg: WireMessage): WireMessage | null {
  const step = msg.type === 'secagg' && msg.round >= 1 ? msg.body.step : null;
  return step === 'reveal' || step === 'unmask' || step === 'consistency' ? null : msg;
}
