import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  MAX_GOSSIP_MESSAGE_BYTES,
  WireError,
  decodeMessage,
  encodeMessage,
  type DecodeContext,
  type WireMessage,
} from '../../src/swarm/protocol/index.js';

const h = (c: string) => c.repeat(64);
const ctx: DecodeContext = {
  swarmId: 'swarm-1',
  maxBytes: MAX_GOSSIP_MESSAGE_BYTES,
  members: new Set(['peer-a', 'peer-b']),
  minRound: 3,
};
const env = { v: 2 as const, swarmId: 'swarm-1', from: 'peer-a', round: 3 };
const commit = {
  swarmId: 'swarm-1',
  round: 3,
  prevHash: h('0'),
  contributors: [{ peerId: 'peer-a', updateHash: h('a'), samples: 10 }],
  method: 'fedavg' as const,
  kind: 'model' as const,
  mergedHash: h('b'),
  aggregator: 'peer-a',
  createdAt: 1_700_000_000_000,
};
const manifest = {
  updateHash: h('c'),
  samples: 5,
  sizeBytes: 10,
  chunkHashes: [h('d')],
  baseCommitHash: null,
};

const examples: WireMessage[] = [
  { ...env, type: 'hello', body: { committedRound: 2, commitHash: h('e'), samples: 100 } },
  { ...env, type: 'hello', body: { committedRound: null, commitHash: null, samples: 0 } },
  { ...env, type: 'heartbeat', body: { phase: 'collecting' } },
  { ...env, type: 'update-manifest', body: { kind: 'model', ...manifest } },
  { ...env, type: 'stats', body: { kind: 'stats', ...manifest } },
  {
    ...env,
    type: 'chunk',
    body: { updateHash: h('c'), hash: h('d'), index: 0, bytes: new Uint8Array(1024 * 1024) },
  },
  { ...env, type: 'commit', body: { commit, signature: new Uint8Array(64).fill(3) } },
  { ...env, type: 'fetch-request', body: { kind: 'update', hash: h('c') } },
  { ...env, type: 'fetch-request', body: { kind: 'log', fromRound: 0 } },
  { ...env, type: 'fetch-response', body: { kind: 'chunk', hash: h('d'), bytes: new Uint8Array([1, 2]) } },
  { ...env, type: 'fetch-response', body: { kind: 'update', manifest: { kind: 'stats', ...manifest } } },
  {
    ...env,
    type: 'fetch-response',
    body: { kind: 'log', commits: [{ commit, signature: new Uint8Array(64) }] },
  },
  { ...env, type: 'fetch-response', body: { kind: 'not-found', hash: h('c') } },
];

/** Raw msgpack of any object, to build messages this peer's encoder would refuse. */
const raw = (value: unknown) => new Packr({ useRecords: false }).pack(value);

function rejection(bytes: Uint8Array, context = ctx): string {
  const res = decodeMessage(bytes, context);
  if (res.ok) throw new Error('expected a rejection');
  return res.reason;
}

/** mulberry32: a seeded generator so a failing fuzz case can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('wire messages', () => {
  it('round-trips every message type', () => {
    for (const msg of examples) {
      const bytes = encodeMessage(msg);
      const res = decodeMessage(bytes, ctx);
      if (!res.ok) throw new Error(`${msg.type} rejected: ${res.reason} ${res.detail}`);
      expect(res.msg.type).toBe(msg.type);
      // Binary fields come back as Buffers (a Uint8Array): compare the re-encoded bytes.
      expect(Buffer.from(encodeMessage(res.msg)).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('refuses to encode a message its receiver would reject', () => {
    const bad = {
      ...env,
      type: 'hello',
      body: { committedRound: 1, commitHash: null, samples: 1 },
    } as WireMessage;
    expect(() => encodeMessage(bad)).toThrow(WireError);
    const bigChunk = {
      ...examples[5],
      body: { ...examples[5].body, bytes: new Uint8Array(1024 * 1024 + 1) },
    };
    expect(() => encodeMessage(bigChunk as WireMessage)).toThrow(/chunk over 1 MiB/);
  });

  it('rejects truncated msgpack as malformed', () => {
    const bytes = encodeMessage(examples[6]);
    expect(rejection(bytes.subarray(0, bytes.length - 5))).toBe('malformed');
  });

  it('rejects random bytes and trailing garbage as malformed', () => {
    expect(rejection(Uint8Array.from([0xc1, 0x00, 0x13]))).toBe('malformed'); // 0xc1 is never used
    const bytes = encodeMessage(examples[2]);
    expect(rejection(Buffer.concat([bytes, Buffer.from([0x01])]))).toBe('malformed');
    expect(rejection(raw([1, 2, 3]))).toBe('malformed');
    expect(rejection(raw({ ...examples[2], body: { phase: 'dancing' } }))).toBe('malformed');
    expect(rejection(raw({ ...examples[2], extra: true }))).toBe('malformed');
  });

  it('rejects a message over maxBytes before decoding it', () => {
    const bytes = encodeMessage(examples[5]);
    expect(rejection(bytes, { ...ctx, maxBytes: bytes.length - 1 })).toBe('oversized');
    expect(decodeMessage(bytes, { ...ctx, maxBytes: bytes.length }).ok).toBe(true);
  });

  it('rejects another swarm, an unknown version, an unknown type', () => {
    expect(rejection(encodeMessage({ ...examples[2], swarmId: 'swarm-2' }))).toBe('wrong-swarm');
    expect(rejection(raw({ ...examples[2], v: 3 }))).toBe('unknown-version');
    // A peer of the release before certificates is refused, and the detail names both versions.
    const old = decodeMessage(raw({ ...examples[2], v: 1 }), ctx);
    expect(old).toEqual({ ok: false, reason: 'unknown-version', detail: 'protocol 1; this peer speaks 2' });
    // Only a round-log reader accepts version 1 (entries written before certificates).
    expect(decodeMessage(raw({ ...examples[2], v: 1 }), { ...ctx, legacy: true }).ok).toBe(true);
    expect(rejection(raw({ ...examples[2], v: '1' }))).toBe('malformed');
    expect(rejection(raw({ ...examples[2], type: 'gossip-v9' }))).toBe('unknown-type');
  });

  it('rejects a sender outside the allowlist', () => {
    expect(rejection(encodeMessage({ ...examples[2], from: 'peer-z' }))).toBe('non-member');
  });

  it('rejects round work older than minRound but not a hello from a lagging peer', () => {
    const oldManifest = { ...examples[3], round: 2 };
    expect(rejection(encodeMessage(oldManifest))).toBe('stale-round');
    expect(decodeMessage(encodeMessage({ ...examples[0], round: 0 }), ctx).ok).toBe(true);
    expect(decodeMessage(encodeMessage(oldManifest), { ...ctx, minRound: undefined }).ok).toBe(true);
  });

  it('rejects a commit whose envelope names another round than the commit', () => {
    const msg = { ...examples[6], round: 4 };
    expect(rejection(raw(msg))).toBe('inconsistent');
  });

  it('never throws on 1000 random buffers', () => {
    const next = rng(42);
    for (let i = 0; i < 1000; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256));
      const res = decodeMessage(bytes, ctx);
      expect(res.ok).toBe(false);
    }
  });

  it('never throws on 1000 valid messages with bytes flipped', () => {
    const next = rng(7);
    const valid = examples.filter((m) => m.type !== 'chunk').map((m) => encodeMessage(m));
    for (let i = 0; i < 1000; i++) {
      const bytes = new Uint8Array(valid[i % valid.length]);
      for (let k = 0; k < 3; k++) bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
      expect(typeof decodeMessage(bytes, ctx).ok).toBe('boolean');
    }
  });
});
