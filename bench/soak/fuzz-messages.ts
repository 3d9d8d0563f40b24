import { Packr } from 'msgpackr';
import {
  TOPIC_OF,
  WIRE_VERSION,
  createCommit,
  encodeMessage,
  seal,
  sha256Hex,
  signCommit,
  splitIntoChunks,
  topicName,
  type SwarmTopic,
  type WireMessage,
  type WireMessageType,
} from '../../src/swarm/index.js';

/*
 * What the fuzzing member sends: for every wire message type, messages that are well-formed but lie (random
 * hashes, rounds, claims; commits it signs itself), the same with flipped bytes or one field replaced by
 * junk, and plain random bytes, sealed under the topic key (it is a member: it has the PSK) or not. Gossip
 * goes to the message type's topic; fetch requests and responses go over the direct protocol.
 */
export interface FuzzTarget {
  swarmId: string;
  self: string;
  members: string[];
  topicKey: Uint8Array;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
}

export type FuzzMessage =
  | { via: 'gossip'; topic: SwarmTopic; bytes: Uint8Array; kind: string }
  | { via: 'direct'; bytes: Uint8Array; kind: string };

const TYPES: WireMessageType[] = [
  'hello',
  'heartbeat',
  'update-manifest',
  'stats',
  'chunk',
  'commit',
  'fetch-request',
  'fetch-response',
];
const MUTATIONS = ['valid', 'flipped', 'junk-field', 'random-bytes', 'unsealed'] as const;
const packr = new Packr({ useRecords: false });

export class FuzzMessages {
  constructor(
    private readonly t: FuzzTarget,
    private readonly rng: () => number,
  ) {}

  /** Message i: its type and mutation cycle through every combination; `round` is the swarm's round now. */
  async next(i: number, round: number): Promise<FuzzMessage> {
    const type = TYPES[i % TYPES.length];
    const mutation = MUTATIONS[Math.floor(i / TYPES.length) % MUTATIONS.length];
    const kind = `${type}/${mutation}`;
    const msg = await this.message(type, this.rng() < 0.8 ? round + this.int(-1, 2) : this.int(0, 1e9));
    let bytes: Uint8Array;
    if (mutation === 'random-bytes') bytes = this.bytes(this.int(0, 4096));
    else if (mutation === 'junk-field') bytes = this.junkField(msg);
    else bytes = encodeMessage(msg);
    if (mutation === 'flipped') bytes = this.flip(bytes);
    const topic = TOPIC_OF[type];
    if (topic === 'direct') return { via: 'direct', bytes, kind };
    const sealed =
      mutation === 'unsealed' ? bytes : seal(this.t.topicKey, topicName(this.t.swarmId, topic), bytes);
    return { via: 'gossip', topic, bytes: sealed, kind };
  }

  /** A schema-valid message of `type` whose content is made up. */
  private async message(type: WireMessageType, round: number): Promise<WireMessage> {
    const base = {
      v: WIRE_VERSION as typeof WIRE_VERSION,
      swarmId: this.t.swarmId,
      from: this.t.self,
      round: Math.max(0, round),
    };
    switch (type) {
      case 'hello':
        return {
          ...base,
          type,
          body: {
            committedRound: base.round,
            commitHash: this.hash(),
            samples: this.int(0, 1e6),
            updateHash: this.hash(),
          },
        };
      case 'heartbeat':
        return {
          ...base,
          type,
          body: { phase: this.pick(['idle', 'training', 'collecting', 'committing'] as const) },
        };
      case 'update-manifest':
      case 'stats':
        return { ...base, type, body: this.manifest(type === 'stats' ? 'stats' : 'model') } as WireMessage;
      case 'chunk': {
        const bytes = this.bytes(this.int(0, 2048));
        return {
          ...base,
          type,
          body: { updateHash: this.hash(), hash: sha256Hex(bytes), index: this.int(0, 3), bytes },
        };
      }
      case 'commit':
        return { ...base, type, body: await this.commit(base.round) };
      case 'fetch-request':
        return {
          ...base,
          type,
          body:
            this.rng() < 0.25
              ? { kind: 'log', fromRound: this.int(0, base.round + 2) }
              : { kind: this.pick(['chunk', 'update', 'commit'] as const), hash: this.hash() },
        };
      case 'fetch-response':
        return {
          ...base,
          type,
          body: { kind: 'chunk', hash: this.hash(), bytes: this.bytes(this.int(0, 512)) },
        };
      case 'vote':
        return { ...base, type, body: { commitHash: this.hash(), signature: this.bytes(64) } };
      case 'evidence': {
        const vote = () => ({ commitHash: this.hash(), signature: this.bytes(64) });
        return { ...base, type, body: { peerId: this.t.self, votes: [vote(), vote()] } };
      }
      case 'secagg': {
        // A sender set of made-up masked vectors (plain swarms ignore secagg; secure ones must not stall).
        const senders = [0, 1].map(() => ({ peerId: this.t.self, maskedHash: this.hash() }));
        return { ...base, type, body: { step: 'unmask', senders, signature: this.bytes(64) } };
      }
    }
  }

  /** Half the time a manifest whose chunks really hash to it, over bytes that are not an update. */
  private manifest(kind: 'model' | 'stats') {
    const garbage = this.bytes(this.int(1, 4096));
    const split = splitIntoChunks(garbage);
    const honest = this.rng() < 0.5;
    return {
      kind,
      updateHash: honest ? split.hash : this.hash(),
      samples: this.int(1, 1e9),
      sizeBytes: honest ? split.sizeBytes : this.int(0, 1e9),
      chunkHashes: honest ? split.chunks.map((c) => c.hash) : [this.hash()],
      baseCommitHash: this.rng() < 0.5 ? null : this.hash(),
    };
  }

  /** A commit signed by this member (so the signature verifies) naming random contributors and hashes. */
  private async commit(round: number) {
    const contributors = this.t.members
      .filter(() => this.rng() < 0.7)
      .map((peerId) => ({ peerId, updateHash: this.hash(), samples: this.int(1, 1000) }));
    const commit = createCommit({
      swarmId: this.t.swarmId,
      round,
      prevHash: this.rng() < 0.2 ? null : this.hash(),
      contributors:
        contributors.length > 0
          ? contributors
          : [{ peerId: this.t.self, updateHash: this.hash(), samples: 1 }],
      method: round === 0 ? 'sum' : 'fedavg',
      kind: round === 0 ? 'stats' : 'model',
      mergedHash: this.hash(),
      aggregator: this.rng() < 0.8 ? this.t.self : this.pick(this.t.members),
      createdAt: Date.now(),
    });
    return signCommit(commit, this.t.sign);
  }

  /** The message with one field (envelope or body) replaced by junk, packed without schema checks. */
  private junkField(msg: WireMessage): Uint8Array {
    const junk: unknown[] = [
      null,
      -1,
      1e308,
      'x'.repeat(this.int(0, 300)),
      [],
      {},
      true,
      this.bytes(8),
      { toString: 1 },
    ];
    const copy = structuredClone(msg) as unknown as Record<string, unknown>;
    const body = copy.body as Record<string, unknown>;
    const target = this.rng() < 0.5 ? copy : body;
    const keys = Object.keys(target);
    target[this.rng() < 0.1 ? 'extra' : this.pick(keys)] = this.pick(junk);
    return packr.pack(copy);
  }

  private flip(bytes: Uint8Array): Uint8Array {
    const out = Uint8Array.from(bytes);
    for (let k = this.int(1, 8); k > 0 && out.length > 0; k--)
      out[this.int(0, out.length - 1)] ^= this.int(1, 255);
    return out;
  }

  private int(min: number, max: number): number {
    return min + Math.floor(this.rng() * (max - min + 1));
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rng() * xs.length)];
  }

  private bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => Math.floor(this.rng() * 256));
  }

  private hash(): string {
    return sha256Hex(this.bytes(8));
  }
}
