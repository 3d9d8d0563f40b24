import { afterEach, describe, expect, it } from 'vitest';
import { aggregatorOrder, commitHash, sha256Hex } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { Attacker, roundOneMergedHash, roundOneUpdate } from './attacker.js';
import { SWARM, TestSwarm, stopAll, type Site } from './peer-harness.js';

afterEach(stopAll);

/*
 * One member of the swarm attacks the round protocol by hand (real libp2p, real gossip, its own valid
 * signatures): a commit out of its turn, claims to be far ahead, a flood of forged commits, and invalid
 * updates until it is ignored. The honest members keep committing and name it in their status.
 */
const SIZE = 100;
const random = (i: number) => sha256Hex(Uint8Array.of(i & 255, (i >> 8) & 255, 7));

function offencesOf(s: Site, peerId: string) {
  return s.peer.status().members.find((m) => m.peerId === peerId)!;
}

describe('swarm peer under attack on the round protocol', () => {
  it('rejects a commit out of turn that leaves an honest update out; the aggregator in turn commits all', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 1, size: SIZE });
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const [firstK, leftOutK, attackerK] = order.map((p) => swarm.members.indexOf(p));
    const attacker = new Attacker(swarm, attackerK);
    const honestK = [firstK, leftOutK];
    let forged = '';
    // The left-out site trains round 1 only once both honest peers hold the attacker's early commit back.
    const hold = async (round: number) => {
      if (round !== 1) return;
      await waitFor(() => [firstK, attackerK].every((k) => swarm.sites[k]?.work.trained.includes(1)), {
        timeoutMs: 10_000,
        what: 'the first aggregator and the attacker training round 1',
      });
      const ks = [firstK, attackerK].map((k) => ({ k, peerId: swarm.members[k] }));
      const contributors = ks.map(({ k, peerId }) => ({ ...roundOneUpdate(k, SIZE).contributor, peerId }));
      const signed = await attacker.commit({
        ...{ round: 1, prevHash: swarm.sites[attackerK].work.applied[0].hash, contributors },
        ...{ method: 'fedavg', kind: 'model', mergedHash: roundOneMergedHash(ks, SIZE) },
      });
      forged = commitHash(signed.commit);
      await waitFor(() => honestK.every((k) => swarm.sites[k].peer.status().dropped['early-commit'] === 1), {
        timeoutMs: 10_000,
        what: 'both honest peers holding the early commit back',
      });
    };
    const hooks = swarm.keys.map((_, k) => (k === leftOutK ? { beforeTrain: hold } : {}));
    const sites = await swarm.startAll({ hooks });
    const honest = honestK.map((k) => sites[k]);
    await Promise.all(honest.map((s) => s.peer.waitForRound(1, 30_000)));
    // Once the round is applied, the commit still held back never had its turn: rejected, and shown.
    await waitFor(() => honest.every((s) => s.peer.status().dropped['out-of-turn'] === 1), {
      timeoutMs: 5_000,
      what: 'both honest peers rejecting the held commit',
    });
    for (const s of honest) {
      const c = s.work.applied[1].commit;
      expect(commitHash(c)).not.toBe(forged);
      expect(c.aggregator).toBe(swarm.members[firstK]);
      expect(c.contributors.map((x) => x.peerId).sort()).toEqual([...swarm.members].sort());
      expect(offencesOf(s, attacker.peerId).offences).toEqual({ 'out-of-turn': 1 });
      expect(s.peer.status().dropped['out-of-turn']).toBe(1);
      expect(s.warnings).toContainEqual({
        fields: expect.objectContaining({ round: 1, aggregator: attacker.peerId, reason: 'out-of-turn' }),
        msg: 'rejected a commit',
      });
    }
  });

  it('keeps training and committing while a member claims rounds far ahead without a chain', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 4, size: SIZE });
    const attacker = new Attacker(swarm, 2);
    const sites = await swarm.startAll();
    const honest = sites.slice(0, 2);
    let claiming = true;
    const claims = (async () => {
      while (claiming) {
        const round = honest[0].peer.status().round;
        await attacker.claim(round, round + 1000);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await Promise.all(honest.map((s) => s.peer.waitForRound(4, 40_000)));
    } finally {
      claiming = false;
      await claims;
    }
    for (const s of honest) {
      expect(s.work.trained).toEqual([1, 2, 3, 4]); // every round trained: a claim alone stops nothing
      expect(s.work.applied.map((a) => a.round)).toEqual([0, 1, 2, 3, 4]);
      expect(offencesOf(s, attacker.peerId).offences['false-claim']).toBeGreaterThanOrEqual(1);
    }
  });

  it('drops a flood of forged commits (20 a round) and commits every honest round with honest aggregators', async () => {
    // Three honest sites and a fourth member that only floods (it never says hello, so it is never live).
    // Ticks of 200 ms: liveness that flaps under a loaded test machine would fork rounds in both phases.
    const swarm = await TestSwarm.create(4, { minPeers: 2, maxRounds: 9, size: SIZE, tickMs: 200 });
    const flooder = new Attacker(swarm, 3);
    for (let k = 0; k < 4; k++) await swarm.host(k);
    await swarm.meshReady(swarm.hosts);
    const honestIds = swarm.members.slice(0, 3);
    const seesHonest = (k: number) => swarm.sees(k, honestIds);
    // Site 0 trains round 6 only once it holds a forged commit of that round (the flood opens with the round):
    // the honest commit then finds it held and rejects it out of turn, however fast the rounds go.
    const holdsForged = async (round: number) => {
      if (round !== 6) return;
      await waitFor(() => (swarm.sites[0]?.peer.status().dropped['early-commit'] ?? 0) >= 1, {
        timeoutMs: 20_000,
        what: 'site 0 holding a forged commit of round 6',
      });
    };
    const hooks = (k: number) => ({
      beforeStats: seesHonest(k),
      ...(k === 0 ? { beforeTrain: holdsForged } : {}),
    });
    const sites = await Promise.all(
      [0, 1, 2].map((k) => swarm.start(k, { host: swarm.hosts[k], hooks: hooks(k) })),
    );
    await sites[0].peer.waitForRound(5, 40_000);
    let sent = 0;
    // Each forged commit is for the round site 0 is in as it is sent, chained onto its last commit.
    const forge = async () => {
      const n = sent++;
      const contributors = honestIds.map((peerId, i) => ({
        peerId,
        updateHash: random(n * 3 + i),
        samples: 10,
      }));
      await flooder.commit({
        round: sites[0].peer.status().round,
        prevHash: sites[0].work.last()!.hash,
        contributors,
        method: 'fedavg',
        kind: 'model',
        mergedHash: random(n),
      });
    };
    // A burst of 20 forged commits as each of rounds 6–9 opens: five times the per-member commit burst
    // a peer checks (the rest wait for the token bucket, which refills 2 a second).
    const FLOODED = [6, 7, 8, 9];
    const PER_ROUND = 20;
    for (const round of FLOODED) {
      await waitFor(() => sites[0].peer.status().round >= round, {
        timeoutMs: 40_000,
        what: `site 0 opening round ${round}`,
      });
      for (let i = 0; i < PER_ROUND; i++) await forge();
    }
    await Promise.all(sites.map((s) => s.peer.waitForRound(9, 40_000)));
    expect(sent).toBe(FLOODED.length * PER_ROUND);
    for (const s of sites) {
      // Every round committed (a fork repair may apply a round twice), each by an honest aggregator merging
      // honest updates only: no forged commit applied.
      expect([...new Set(s.work.applied.map((a) => a.round))].sort((a, b) => a - b)).toEqual([
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
      ]);
      for (const a of s.work.applied) {
        expect(honestIds).toContain(a.commit.aggregator);
        for (const c of a.commit.contributors) expect(honestIds).toContain(c.peerId);
      }
      // The flood was dropped before its commits were checked: past the bucket's burst, or once ignored.
      const dropped = s.peer.status().dropped;
      expect((dropped['rate-limited'] ?? 0) + (dropped['ignored-member'] ?? 0)).toBeGreaterThanOrEqual(1);
    }
    // The flooder is shown: site 0 held its round-6 commit and rejected it out of turn (a forged commit that
    // lands on a round a peer has already passed is dropped as stale, so not every peer need have scored it).
    const o = offencesOf(sites[0], flooder.peerId).offences;
    expect((o['out-of-turn'] ?? 0) + (o.equivocation ?? 0)).toBeGreaterThanOrEqual(1);
  });

  it('scores a member whose updates are invalid and ignores it past the threshold, by name in status', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 4, size: SIZE });
    const attackerK = 2;
    const nan = { poison: (_round: number, w: Float32Array) => w.map((x, i) => (i === 0 ? NaN : x)) };
    const hooks = swarm.keys.map((_, k) => (k === attackerK ? nan : {}));
    const sites = await swarm.startAll({ hooks, init: { ignoreAfterPoints: 2 } });
    const honest = sites.slice(0, 2);
    const attackerId = swarm.members[attackerK];
    await Promise.all(honest.map((s) => s.peer.waitForRound(4, 40_000)));
    // Rounds can finish before the ignored member's next hello arrives: wait (bounded) for one to be dropped.
    await waitFor(() => honest.every((s) => (s.peer.status().dropped['ignored-member'] ?? 0) > 0), {
      timeoutMs: 15_000,
      what: "the ignored member's next message to be dropped at both honest sites",
    });
    for (const s of honest) {
      const m = offencesOf(s, attackerId);
      expect(m.offences).toEqual({ 'invalid-update': 2 });
      expect(m.excluded).toEqual({ 'non-finite': 2 });
      expect(m.ignoredSinceMs).not.toBeNull();
      // Rounds 1 and 2 named its update as excluded; from then on its messages are not even heard.
      const excludedIn = s.work.applied
        .filter((a) => (a.commit.excluded ?? []).length > 0)
        .map((a) => a.round);
      expect(excludedIn).toEqual([1, 2]);
      for (const a of s.work.applied.slice(3)) {
        expect(a.commit.contributors.map((x) => x.peerId)).not.toContain(attackerId);
      }
      expect(s.peer.status().dropped['ignored-member']).toBeGreaterThan(0);
      expect(s.events).toContainEqual({ type: 'offence', peerId: attackerId, offence: 'invalid-update' });
    }
  });
});
