import { afterEach, describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import { computeFeatureStats, statsToTensors } from '../../src/models/index.js';
import {
  certify,
  commitHash,
  decodeMessage,
  STATS_TENSORS,
  sha256Hex,
  sortContributors,
  type SignedCommit,
  type SwarmHost,
  type WireMessage,
} from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { Attacker } from './attacker.js';
import { SWARM, TestSwarm, stopAll, type Site } from './peer-harness.js';
import { tapHost } from './tap.js';

afterEach(stopAll);

const SIZE = 200;
const FORGED_ROUNDS = 45;
const made = (n: number) => sha256Hex(Uint8Array.of(n & 255, (n >> 8) & 255, 7));

function memberOf(s: Site, peerId: string) {
  return s.peer.status().members.find((m) => m.peerId === peerId)!;
}

/** Members whose votes certify a round-log entry (empty: uncertified). */
function votersOf(bytes: Uint8Array, members: string[]): string[] {
  const r = decodeMessage(bytes, { swarmId: SWARM, members: new Set(members), maxBytes: 1 << 20 });
  if (!r.ok || r.msg.type !== 'commit') throw new Error('a log entry that does not decode');
  return (r.msg.body.certificate?.votes ?? []).map((v) => v.peerId);
}

/**
 * A member that makes up a 45-round chain onto the honest head: contributors invented, a model of its choosing,
 * each commit validly signed by itself — and certificates that no quorum gave: in turn none, its own vote
 * only, and its vote beside made-up votes of two honest members. It claims the chain's head in its hellos and
 * serves the head and the chain to whoever asks.
 */
class Forger {
  private variant = 0;
  private readonly heads = new Map<string, SignedCommit>();
  readonly served: { logs: number; commits: number };

  constructor(
    private readonly swarm: TestSwarm,
    private readonly attacker: Attacker,
    private readonly honestLog: () => Site['work']['log'],
  ) {
    this.served = attacker.serveForged({ forge: (r) => this.chain(r), commit: (h) => this.heads.get(h) });
  }

  /** Claims the head of a chain forged from the round after the honest head. */
  async claim(): Promise<void> {
    const log = this.honestLog();
    const chain = await this.chain(log.length);
    const head = chain[chain.length - 1];
    const body = { committedRound: head.commit.round, commitHash: commitHash(head.commit), samples: 10 };
    await this.attacker.publish({ type: 'hello', round: log.length, body });
  }

  async chain(fromRound: number): Promise<SignedCommit[]> {
    const v = this.variant++ % 3;
    const { swarm, attacker } = this;
    let prevHash =
      fromRound === 0 ? null : (this.honestLog().find((e) => e.round === fromRound - 1)?.hash ?? null);
    const chain: SignedCommit[] = [];
    for (let round = fromRound; round < fromRound + FORGED_ROUNDS; round++) {
      const contributors = sortContributors(
        swarm.members.map((peerId, i) => ({ peerId, updateHash: made(round * 8 + i), samples: 1000 })),
      );
      const kind = round === 0 ? 'stats' : 'model';
      const signed = await attacker.sign({
        ...{ round, prevHash, contributors, kind, method: round === 0 ? 'sum' : 'fedavg' },
        mergedHash: made(round * 8 + 7),
      });
      const voters =
        v === 1 ? [] : v === 2 ? [attacker.peerId] : [attacker.peerId, ...swarm.members.slice(0, 2)];
      chain.push(voters.length === 0 ? signed : certify(signed, await attacker.forgedVotes(signed, voters)));
      prevHash = commitHash(signed.commit);
    }
    const head = chain[chain.length - 1];
    this.heads.set(commitHash(head.commit), head);
    return chain;
  }
}

describe('certified commits between real peers', () => {
  it('refuses a forged 45-round chain from one member, live and after a restart, and scores the member', async () => {
    // Four honest sites and a fifth member that runs no honest peer: it claims far-ahead rounds in its hellos
    // and serves made-up chains. The quorum is 3 of 5: the four honest sites (three, while one restarts) vote.
    const swarm = await TestSwarm.create(5, { minPeers: 3, maxRounds: 6, size: SIZE, roundDeadlineMs: 3000 });
    const attacker = new Attacker(swarm, 4);
    for (let k = 0; k < 5; k++) await swarm.host(k);
    await swarm.meshReady(swarm.hosts);
    const honestIds = swarm.members.slice(0, 4);
    const seesHonest = (k: number) => swarm.sees(k, honestIds);
    const sites = await Promise.all(
      [0, 1, 2, 3].map((k) =>
        swarm.start(k, { host: swarm.hosts[k], hooks: { beforeStats: seesHonest(k) } }),
      ),
    );
    const forger = new Forger(swarm, attacker, () => sites[1].work.log);
    let claiming = true;
    const claims = (async () => {
      while (claiming) {
        await forger.claim();
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    try {
      await Promise.all(sites.map((s) => s.peer.waitForRound(1, 30_000)));
      // Site 0 goes down after round 1 and comes back once the others are past it: it must catch up, and
      // the member with the highest claim is the first it asks.
      await sites[0].peer.stop();
      await sites[0].host.stop();
      const live = sites.slice(1);
      await Promise.all(live.map((s) => s.peer.waitForRound(3, 40_000)));
      const last = sites[0].work.applied[sites[0].work.applied.length - 1];
      const back = await swarm.start(0, { work: sites[0].work.restarted(), init: { resume: { ...last } } });
      await Promise.all([back, ...live].map((s) => s.peer.waitForRound(6, 60_000)));
      await waitFor(() => memberOf(back, attacker.peerId).offences['false-claim'] !== undefined, {
        timeoutMs: 10_000,
        what: 'the restarted site scoring the forging member',
      });
    } finally {
      claiming = false;
      await claims;
    }
    // The claimed heads were asked for (and refused: their certificates do not hold), never a chain.
    expect(forger.served.commits).toBeGreaterThanOrEqual(2);
    const agreed = sites[1].work.log.map((e) => e.hash);
    expect(agreed).toHaveLength(7); // rounds 0..6, not 45 more
    for (const s of [swarm.sites[0], ...sites.slice(1)]) {
      expect(s.work.log.map((e) => e.hash)).toEqual(agreed);
      expect(s.work.applied.every((a) => a.commit.aggregator !== attacker.peerId)).toBe(true);
      // The model each site holds is the honest merge: every weight is the start plus honest deltas only.
      expect(s.work.last()!.commit.mergedHash).toBe(sites[1].work.last()!.commit.mergedHash);
      for (const e of s.work.log) expect(votersOf(e.bytes, swarm.members).length).toBeGreaterThanOrEqual(3);
    }
    for (const s of sites.slice(1))
      expect(memberOf(s, attacker.peerId).offences['false-claim']).toBeGreaterThanOrEqual(1);
    expect(memberOf(swarm.sites[0], attacker.peerId).offences['false-claim']).toBeGreaterThanOrEqual(1);
  });

  it('publishes evidence of a double vote, ignores the member at every honest peer, and stays on one chain', async () => {
    // Four honest sites and the cheat: once it is ignored, the quorum of 3 of 5 still has a spare honest voter
    // (with 3 of 4 every honest site would have to vote alike in every round, which a loaded machine can stall).
    const swarm = await TestSwarm.create(5, { minPeers: 3, maxRounds: 3, size: SIZE });
    const cheat = 4;
    const attacker = new Attacker(swarm, cheat);
    const evidence: WireMessage[] = [];
    const watch = tapHost(swarm, { onIn: (m) => m.type === 'evidence' && evidence.push(m) });
    // The cheating member runs an honest peer, and once round 1 is applied also votes twice in round 2, for
    // two commits it made up; the honest sites start round 2's training only after both votes went out.
    let doubled: () => void = () => {};
    const votedTwice = new Promise<void>((resolve) => (doubled = resolve));
    const sites = await swarm.startAll({
      wraps: swarm.keys.map((_, k) => (k === 0 ? watch : (h: SwarmHost) => h)),
      hooks: swarm.keys.map((_, k) =>
        k === cheat
          ? {
              afterApply: (r) => {
                if (r === 1)
                  void attacker
                    .vote(2, made(98))
                    .then(() => attacker.vote(2, made(99)))
                    .then(doubled);
              },
            }
          : { beforeTrain: (r) => (r === 2 ? votedTwice : undefined) },
      ),
    });
    const honest = sites.filter((s) => s.k !== cheat);
    await waitFor(() => honest.every((s) => memberOf(s, attacker.peerId).ignoredSinceMs !== null), {
      timeoutMs: 40_000,
      what: 'every honest peer ignoring the member that voted twice',
    });
    await Promise.all(honest.map((s) => s.peer.waitForRound(3, 40_000)));
    const agreed = honest[0].work.log.map((e) => e.hash);
    for (const s of honest) {
      expect(s.work.log.map((e) => e.hash)).toEqual(agreed);
      expect(memberOf(s, attacker.peerId).offences['double-vote']).toBe(1);
      // Rounds after the evidence are certified without the ignored member's vote.
      expect(votersOf(s.work.log[3].bytes, swarm.members)).not.toContain(attacker.peerId);
    }
    // Evidence went out on the wire: the two votes of one member, signed by it, for different commits.
    expect(evidence.length).toBeGreaterThanOrEqual(1);
    const e = evidence[0];
    if (e.type !== 'evidence') throw new Error('not evidence');
    expect(e.body.peerId).toBe(attacker.peerId);
    expect(e.body.votes.map((v) => v.commitHash).sort()).toEqual([made(98), made(99)].sort());
  });

  it('leaves a sum of squares of 1e30 out of the statistics round, names it in the commit, and scores it', async () => {
    const swarm = await TestSwarm.create(4, { minPeers: 3, maxRounds: 1, size: SIZE });
    const liar = 3;
    // Each site's statistics from rows of its own (site k: values k, k+1, …), as models compute them.
    const rows = (k: number) => Array.from({ length: 10 + k }, (_, i) => [k + i, (k + i) % 3, 2 * i - k]);
    const statsOf = (k: number): NamedTensors => {
      const r = rows(k);
      const tensors = statsToTensors(computeFeatureStats(Float32Array.from(r.flat()), r.length, 3));
      if (k !== liar) return tensors;
      const sumSq = Float32Array.from(tensors.get(STATS_TENSORS.sumSq)!.data);
      sumSq[1] = 1e30;
      return new Map(tensors).set(STATS_TENSORS.sumSq, { shape: [3], data: sumSq });
    };
    const sites = await swarm.startAll({
      roundWork: (work) => ({
        // work.stats() first: it waits until the site has heard from every member.
        stats: async () => {
          await work.stats();
          return { tensors: statsOf(work.k), samples: 10 + work.k };
        },
        train: (round, base, signal) => work.train(round, base, signal),
        adopt: (round, merged, commit) => work.adopt(round, merged, commit),
      }),
    });
    const honest = sites.filter((s) => s.k !== liar);
    await Promise.all(honest.map((s) => s.peer.waitForRound(1, 40_000)));
    for (const s of honest) {
      const round0 = s.work.applied[0];
      expect(round0.commit.excluded).toEqual([
        { peerId: swarm.members[liar], updateHash: expect.any(String), reason: 'stats-range' },
      ]);
      expect(round0.commit.contributors.map((x) => x.peerId).sort()).toEqual(
        honest.map((h) => h.peerId).sort(),
      );
      // The merged counts are the honest sites' rows only: 10 + 11 + 12.
      expect([...round0.merged.get(STATS_TENSORS.count)!.data]).toEqual([33, 33, 33]);
      expect(memberOf(s, swarm.members[liar]).excluded).toEqual({ 'stats-range': 1 });
      expect(memberOf(s, swarm.members[liar]).offences['invalid-update']).toBe(1);
    }
  });
});
