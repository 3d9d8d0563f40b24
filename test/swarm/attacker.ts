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
  commitHash,
  decodeMessage,
  signCommit,
  signWith,
  topicName,
  voteBytes,
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
    const control = ['hello', 'commit', 'vote', 'evidence'].includes(msg.type);
    const topic = control ? 'control' : 'updates';
    const full = { ...msg, v: WIRE_VERSION, swarmId: SWARM, from: this.peerId } as WireMessage;
    const sealed = seal(this.key, topicName(SWARM, topic), encodeMessage(full));
    await this.swarm.hosts[this.k].publish(topic, sealed);
  }

  /** A hello claiming `committedRound` with a made-up commit hash (no chain behind it). */
  async claim(round: number, committedRound: number): Promise<void> {
    const body = { committedRound, commitHash: sha256Hex(Uint8Array.of(committedRound % 256)), samples: 10 };
    await this.publish({ type: 'hello', round, body });
  }

  /** This member's valid vote for commit `hash` of `round`, published (a second one is a double vote). */
  async vote(round: number, hash: string): Promise<Uint8Array> {
    const signature = await signWith(this.swarm.keys[this.k])(voteBytes(SWARM, round, hash));
    await this.publish({ type: 'vote', round, body: { commitHash: hash, signature } });
    return signature;
  }

  /** A commit of `fields` signed by this member, not sent. */
  async sign(fields: Omit<RoundCommit, 'swarmId' | 'aggregator' | 'createdAt'>): Promise<SignedCommit> {
    const commit = createCommit({ ...fields, swarmId: SWARM, aggregator: this.peerId, createdAt: 1 });
    return signCommit(commit, signWith(this.swarm.keys[this.k]));
  }

  /**
   * Answers every direct request on this member's host (it must run no honest peer): a round log from
   * `forge(fromRound)`, a commit by hash from `commit(hash)`, nothing else. Counts what it served.
   */
  serveForged(o: {
    forge: (fromRound: number) => Promise<SignedCommit[]>;
    commit: (hash: string) => SignedCommit | undefined;
  }): { logs: number; commits: number } {
    const counter = { logs: 0, commits: 0 };
    const members = new Set(this.swarm.members);
    this.swarm.hosts[this.k].handle(async (bytes) => {
      const r = decodeMessage(bytes, { swarmId: SWARM, members, maxBytes: 1 << 20 });
      const req = r.ok && r.msg.type === 'fetch-request' ? r.msg.body : undefined;
      const signed = req?.kind === 'commit' ? o.commit(req.hash) : undefined;
      let body: object = { kind: 'not-found' };
      if (req?.kind === 'log') {
        counter.logs++;
        body = { kind: 'log', commits: await o.forge(req.fromRound) };
      } else if (signed !== undefined) {
        counter.commits++;
        body = { kind: 'commit', signed };
      }
      const msg = {
        v: WIRE_VERSION,
        type: 'fetch-response',
        swarmId: SWARM,
        from: this.peerId,
        round: 0,
        body,
      };
      return encodeMessage(msg as WireMessage);
    });
    return counter;
  }

  /** The votes of `voters` for `signed` as if they had signed: the attacker's own is real, the rest made up. */
  async forgedVotes(
    signed: SignedCommit,
    voters: string[],
  ): Promise<{ peerId: string; signature: Uint8Array }[]> {
    const bytes = voteBytes(SWARM, signed.commit.round, commitHash(signed.commit));
    const own = await signWith(this.swarm.keys[this.k])(bytes);
    return voters.map((peerId, i) => ({
      peerId,
      signature: peerId === this.peerId ? own : Uint8Array.from({ length: 64 }, (_, j) => (i * 31 + j) % 256),
    }));
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
