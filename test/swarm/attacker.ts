import { encodeTensors, hashTensors, type NamedTensors } from '../../src/core/index.js';
import {
  WIRE_VERSION,
  createCommit,
  deriveTopicKey,
  encodeMessage,
  fedAvg,
  pskSecret,
  seal,
  sha256Hex,
  signCommit,
  signWith,
  topicName,
  type Contributor,
  type RoundCommit,
  type SignedCommit,
  type WireMessage,
} from '../../src/swarm/index.js';
import { SWARM, initialWeights, type TestSwarm } from './peer-harness.js';

/*
 * A member that speaks the wire protocol by hand: it seals and publishes whatever message it likes on the
 * swarm's topics from its own host (gossipsub signs it as that member, so peers see who sent it).
 */
export class Attacker {
  private readonly key: Uint8Array;

  constructor(
    private readonly swarm: TestSwarm,
    readonly k: number,
  ) {
    this.key = deriveTopicKey(pskSecret(swarm.psk), SWARM);
  }

  get peerId(): string {
    return this.swarm.members[this.k];
  }

  async publish(msg: Omit<WireMessage, 'v' | 'swarmId' | 'from'>): Promise<void> {
    const topic = msg.type === 'hello' || msg.type === 'commit' ? 'control' : 'updates';
    const full = { ...msg, v: WIRE_VERSION, swarmId: SWARM, from: this.peerId } as WireMessage;
    const sealed = seal(this.key, topicName(SWARM, topic), encodeMessage(full));
    await this.swarm.hosts[this.k].publish(topic, sealed);
  }

  /** A hello claiming `committedRound` with a made-up commit hash (no chain behind it). */
  async claim(round: number, committedRound: number): Promise<void> {
    const body = { committedRound, commitHash: sha256Hex(Uint8Array.of(committedRound % 256)), samples: 10 };
    await this.publish({ type: 'hello', round, body });
  }

  /** Signs `fields` as this member (its own valid signature) and publishes the commit. */
  async commit(fields: Omit<RoundCommit, 'swarmId' | 'aggregator' | 'createdAt'>): Promise<SignedCommit> {
    const commit = createCommit({ ...fields, swarmId: SWARM, aggregator: this.peerId, createdAt: 1 });
    const signed = await signCommit(commit, signWith(this.swarm.keys[this.k]));
    await this.publish({ type: 'commit', round: commit.round, body: signed });
    return signed;
  }
}

/** Site k's round-1 update as TestWork computes it (from the initial weights), with its hash and samples. */
export function roundOneUpdate(k: number, size: number): { tensors: NamedTensors; contributor: Contributor } {
  const w = initialWeights(size).map((x) => x + (k + 1) * 0.01);
  const tensors: NamedTensors = new Map([['w', { shape: [size], data: w }]]);
  return {
    tensors,
    contributor: { peerId: '', updateHash: sha256Hex(encodeTensors(tensors)), samples: k + 10 },
  };
}

/** The FedAvg merged hash of these sites' round-1 updates (what a verifier recomputes). */
export function roundOneMergedHash(sites: { k: number; peerId: string }[], size: number): string {
  const contributions = sites.map(({ k, peerId }) => ({
    peerId,
    samples: k + 10,
    tensors: roundOneUpdate(k, size).tensors,
  }));
  return hashTensors(fedAvg(contributions));
}
