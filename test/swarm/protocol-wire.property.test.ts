import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { applyDamage, damage } from '../helpers/damage.js';
import {
  MAX_GOSSIP_MESSAGE_BYTES,
  SealError,
  WIRE_VERSION,
  decodeMessage,
  deriveTopicKey,
  encodeMessage,
  open,
  readContribution,
  encodeContribution,
  seal,
  type WireMessage,
} from '../../src/swarm/index.js';

// Property tests of the wire decoders: whatever bytes a member (or a bit flip) sends, decodeMessage answers
// with a rejection and never throws; valid messages survive encode → decode → encode unchanged.
const SWARM = 'prop-swarm';
const MEMBERS = ['12D3KooWAlpha', '12D3KooWBeta', '12D3KooWGamma'];
const ctx = { swarmId: SWARM, members: new Set(MEMBERS), maxBytes: MAX_GOSSIP_MESSAGE_BYTES };
const packr = new Packr({ useRecords: false, largeBigIntToString: true });

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b).toString('hex'));
const peer = fc.constantFrom(...MEMBERS);
const round = fc.nat({ max: 1_000_000 });
const count = fc.integer({ min: 1, max: 1_000_000 });
const manifest = (kind: 'model' | 'stats') =>
  fc.record({
    kind: fc.constant(kind),
    updateHash: hash,
    samples: count,
    sizeBytes: fc.nat({ max: 10_000_000 }),
    chunkHashes: fc.array(hash, { minLength: 1, maxLength: 4 }),
    baseCommitHash: fc.option(hash, { nil: null }),
  });
const signed = fc.record({
  commit: fc.record({
    swarmId: fc.constant(SWARM),
    round: fc.constant(0), // set from the envelope below
    prevHash: fc.option(hash, { nil: null }),
    contributors: fc.array(fc.record({ peerId: peer, updateHash: hash, samples: count }), {
      minLength: 1,
      maxLength: 3,
    }),
    method: fc.constantFrom('fedavg', 'sum', 'median'),
    kind: fc.constantFrom('model', 'stats'),
    mergedHash: hash,
    aggregator: peer,
    createdAt: fc.nat(),
  }),
  signature: fc.uint8Array({ maxLength: 64 }),
});
const bodies = {
  hello: fc.oneof(
    fc.record({ committedRound: fc.constant(null), commitHash: fc.constant(null), samples: fc.nat() }),
    fc.record(
      {
        committedRound: round,
        commitHash: hash,
        samples: fc.nat(),
        addrs: fc.array(fc.constant('/ip4/127.0.0.1/tcp/4001'), { maxLength: 3 }),
        updateHash: hash,
      },
      { requiredKeys: ['committedRound', 'commitHash', 'samples'] },
    ),
  ),
  heartbeat: fc.record({ phase: fc.constantFrom('idle', 'training', 'collecting', 'committing') }),
  'update-manifest': manifest('model'),
  stats: manifest('stats'),
  chunk: fc.record({
    updateHash: hash,
    hash,
    index: fc.nat({ max: 100 }),
    bytes: fc.uint8Array({ maxLength: 256 }),
  }),
  commit: signed,
  'fetch-request': fc.oneof(
    fc.record({ kind: fc.constantFrom('chunk', 'update', 'commit'), hash }),
    fc.record({ kind: fc.constant('log'), fromRound: round }),
  ),
  'fetch-response': fc.oneof(
    fc.record({ kind: fc.constant('chunk'), hash, bytes: fc.uint8Array({ maxLength: 256 }) }),
    fc.record({ kind: fc.constant('update'), manifest: manifest('model') }),
    fc.record({ kind: fc.constant('commit'), signed }),
    fc.record({ kind: fc.constant('not-found'), hash }),
  ),
};
const message: fc.Arbitrary<WireMessage> = fc
  .oneof(...Object.entries(bodies).map(([type, body]) => fc.record({ type: fc.constant(type), body })))
  .chain(({ type, body }) =>
    fc.record({ from: peer, round }).map(({ from, round: r }) => {
      const b = body as Record<string, unknown>;
      // A commit's own round is its envelope's (decodeMessage checks the two agree).
      const fixed = type === 'commit' ? { ...b, commit: { ...(b.commit as object), round: r } } : b;
      return { v: WIRE_VERSION, type, swarmId: SWARM, from, round: r, body: fixed } as WireMessage;
    }),
  );

/** Decodes and, if accepted, re-encodes: an accepted message must be one this peer could send itself. */
function decodeSafely(bytes: Uint8Array): void {
  const r = decodeMessage(bytes, ctx);
  if (r.ok) expect(() => encodeMessage(r.msg)).not.toThrow();
  else expect(typeof r.reason).toBe('string');
}

describe('wire decoding (property)', () => {
  it('round-trips every valid message of every type, byte for byte', () => {
    fc.assert(
      fc.property(message, (m) => {
        const bytes = encodeMessage(m);
        const r = decodeMessage(bytes, ctx);
        expect(r.ok).toBe(true);
        if (r.ok) expect(Buffer.from(encodeMessage(r.msg)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), decodeSafely), { numRuns: 1000 });
  });

  it('never throws on arbitrary msgpack values, envelopes with arbitrary bodies included', () => {
    const envelope = fc.record({
      v: fc.oneof(fc.constant(WIRE_VERSION), fc.anything()),
      type: fc.oneof(fc.constantFrom(...Object.keys(bodies)), fc.anything()),
      swarmId: fc.oneof(fc.constant(SWARM), fc.anything()),
      from: fc.oneof(peer, fc.anything()),
      round: fc.oneof(round, fc.anything()),
      body: fc.anything({ withTypedArray: true, withBigInt: true, withMap: true, withSet: true }),
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), envelope), (v) => decodeSafely(packr.pack(v))),
      { numRuns: 1000 },
    );
  });

  it('never throws on damaged encodings of valid messages', () => {
    fc.assert(fc.property(fc.tuple(message.map(encodeMessage), damage).map(applyDamage), decodeSafely), {
      numRuns: 1000,
    });
  });

  it('opens only what was sealed for the topic: damage gives a SealError, never another error', () => {
    const key = deriveTopicKey(new Uint8Array(32).fill(7), SWARM);
    const NONCE = new Uint8Array(12).fill(3); // fixed, so that shrinking replays the same sealed bytes
    const payload = fc.uint8Array({ minLength: 1, maxLength: 512 });
    fc.assert(
      fc.property(payload, damage, (plain, d) => {
        const bad = applyDamage([seal(key, 'control', plain, NONCE), d]);
        expect(
          Buffer.from(open(key, 'control', seal(key, 'control', plain))).equals(Buffer.from(plain)),
        ).toBe(true);
        expect(() => open(key, 'control', bad)).toThrow(SealError);
      }),
      { numRuns: 300 },
    );
  });

  it('reads an update only as its sender’s, and never throws on damaged update bytes', () => {
    const tensors = fc
      .array(fc.float({ noNaN: true }), { minLength: 1, maxLength: 16 })
      .map((v) => new Map([['w', { shape: [v.length], data: Float32Array.from(v) }]]));
    fc.assert(
      fc.property(peer, tensors, damage, (from, t, d) => {
        const bytes = encodeContribution(from, t);
        const r = readContribution(bytes, from);
        expect(r.ok && [...r.tensors.get('w')!.data]).toEqual([...t.get('w')!.data]);
        for (const other of MEMBERS.filter((p) => p !== from))
          expect(readContribution(bytes, other).ok).toBe(false);
        expect(() => readContribution(applyDamage([bytes, d]), from)).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});
