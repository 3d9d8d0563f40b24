import { afterEach, describe, expect, it } from 'vitest';
import { hashTensors } from '../../src/core/index.js';
import { aggregatorOrder, commitHash, signCommit, signWith, type SwarmHost } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { SWARM, TestSwarm, stopAll } from './peer-harness.js';
import { tapHost } from './tap.js';

afterEach(stopAll);

/** The round a sign() call is for: canonical commit bytes are a JSON array [tag, swarmId, round, …]. */
function roundOfCommitBytes(bytes: Uint8Array): number {
  return JSON.parse(new TextDecoder().decode(bytes))[2] as number;
}

describe('swarm peer faults', () => {
  it('lets the next aggregator in order commit when the first one dies before committing', async () => {
    const commitTimeoutMs = 1500;
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 1, commitTimeoutMs });
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const victim = swarm.members.indexOf(order[0]);
    let reachedCommit: () => void = () => {};
    const atCommit = new Promise<void>((resolve) => (reachedCommit = resolve));
    // The victim's signature for round 1 never comes: it has closed collection and holds the first turn.
    const sign = signWith(swarm.keys[victim]);
    const hangingSign = (bytes: Uint8Array) => {
      if (roundOfCommitBytes(bytes) !== 1) return sign(bytes);
      reachedCommit();
      return new Promise<Uint8Array>(() => {});
    };
    for (let k = 0; k < swarm.keys.length; k++) await swarm.host(k);
    await swarm.meshReady(swarm.hosts);
    const sites = await Promise.all(
      swarm.hosts.map((host, k) =>
        swarm.start(k, {
          host,
          hooks: { beforeStats: swarm.seesAll(k) },
          init: k === victim ? { sign: hangingSign } : {},
        }),
      ),
    );
    await atCommit;
    const others = sites.filter((s) => s.k !== victim);
    // The others close collection only once every live member's update is in, so once they commit-wait the
    // victim's update has reached them; killing it earlier would test gossip timing, not the takeover.
    await waitFor(() => others.every((s) => s.peer.status().phase === 'committing'), {
      timeoutMs: 10_000,
      what: 'the other sites to close collection with the victim still live',
    });
    await sites[victim].peer.stop();
    await sites[victim].host.stop();

    // One commit timeout for the turn to pass, plus a few ticks of slack for gossip and applying.
    await Promise.all(others.map((s) => s.peer.waitForRound(1, commitTimeoutMs + 2500)));
    const [b, c] = others.map((s) => s.work.applied[1]);
    expect(b.hash).toBe(c.hash);
    expect(b.commit.aggregator).toBe(order[1]);
    expect(b.commit.contributors.map((x) => x.peerId).sort()).toEqual([...swarm.members].sort());
    expect(hashTensors(b.merged)).toBe(b.commit.mergedHash);
    expect(sites[victim].work.applied.map((a) => a.round)).toEqual([0]);
  });

  it("replaces an aggregator's orphaned own commit on restart; its log keeps only the swarm's chain", async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 2 });
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const orphaner = swarm.members.indexOf(order[0]);
    // Its round-1 commit never leaves the machine (it dies right after applying it).
    const silent = tapHost(swarm, { onOut: (m) => (m.type === 'commit' && m.round === 1 ? null : m) });
    let died: () => void = () => {};
    const dead = new Promise<void>((resolve) => (died = resolve));
    const sites = await swarm.startAll({
      wraps: swarm.keys.map((_, k) => (k === orphaner ? silent : (h: SwarmHost) => h)),
      hooks: swarm.keys.map((_, k) => (k === orphaner ? { afterApply: (r) => r === 1 && died() } : {})),
    });
    await dead;
    const victim = sites[orphaner];
    await victim.peer.stop();
    await victim.host.stop();
    const orphan = victim.work.log.find((e) => e.round === 1)!;
    expect(orphan.hash).toBe(commitHash(victim.work.applied[1].commit));

    const others = sites.filter((s) => s.k !== orphaner);
    await Promise.all(others.map((s) => s.peer.waitForRound(2, 30_000)));
    const agreed = others[0].work.log.map((e) => e.hash);
    expect(agreed).not.toContain(orphan.hash);

    const last = victim.work.applied[victim.work.applied.length - 1];
    const back = await swarm.start(orphaner, {
      work: victim.work.restarted(),
      init: { resume: { ...last } },
    });
    await back.peer.waitForRound(2, 30_000);
    expect(back.work.log.map((e) => e.round)).toEqual([0, 1, 2]);
    expect(back.work.log.map((e) => e.hash)).toEqual(agreed);
    expect(back.warnings).toContainEqual({
      fields: expect.objectContaining({ round: 1, head: orphan.hash, replaced: 1 }),
      msg: 'the last applied commits are not on the swarm chain; replacing them',
    });
  });

  it('rejoins the swarm chain after a fork two rounds deep: its own rounds 1 and 2 are replaced', async () => {
    // A swarm whose rendezvous order puts the same peer first in rounds 1 and 2 (a third of all swarms).
    let swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 3 });
    const first = (s: TestSwarm, r: number) => aggregatorOrder(SWARM, r, s.members)[0];
    for (let i = 0; i < 40 && first(swarm, 1) !== first(swarm, 2); i++)
      swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 3 });
    expect(first(swarm, 1)).toBe(first(swarm, 2));
    const forker = swarm.members.indexOf(first(swarm, 1));
    // Its commits of rounds 1 and 2 never leave, nor its hellos once it committed: the others go on alone
    // and commit rounds 1 and 2 of their own, without ever learning of its chain.
    const cut = tapHost(swarm, {
      onOut: (m) =>
        (m.type === 'commit' && m.round <= 2) || (m.type === 'hello' && (m.body.committedRound ?? -1) >= 1)
          ? null
          : m,
    });
    let died: () => void = () => {};
    const dead = new Promise<void>((resolve) => (died = resolve));
    const sites = await swarm.startAll({
      wraps: swarm.keys.map((_, k) => (k === forker ? cut : (h: SwarmHost) => h)),
      hooks: swarm.keys.map((_, k) => (k === forker ? { afterApply: (r) => r === 2 && died() } : {})),
    });
    await dead;
    const victim = sites[forker];
    await victim.peer.stop();
    await victim.host.stop();
    const own = victim.work.log.filter((e) => e.round >= 1).map((e) => e.hash);
    expect(own).toHaveLength(2);

    const others = sites.filter((s) => s.k !== forker);
    await Promise.all(others.map((s) => s.peer.waitForRound(3, 60_000)));
    const agreed = others[0].work.log.map((e) => e.hash);
    expect(others[1].work.log.map((e) => e.hash)).toEqual(agreed);
    for (const h of own) expect(agreed).not.toContain(h);

    const last = victim.work.applied[victim.work.applied.length - 1];
    expect(last.round).toBe(2);
    const back = await swarm.start(forker, { work: victim.work.restarted(), init: { resume: { ...last } } });
    await back.peer.waitForRound(3, 60_000);
    expect(back.work.log.map((e) => e.round)).toEqual([0, 1, 2, 3]);
    expect(back.work.log.map((e) => e.hash)).toEqual(agreed);
    expect(back.warnings).toContainEqual({
      fields: expect.objectContaining({ round: 1, head: own[1], replaced: 2 }),
      msg: 'the last applied commits are not on the swarm chain; replacing them',
    });
  });

  it('rejects a commit whose merged hash differs from the recomputed merge, at every other peer', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1 });
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const forger = swarm.members.indexOf(order[0]);
    const forged: string[] = [];
    // The forger's host rewrites its round-1 commit: a wrong merged hash, validly signed by the forger.
    const forging = tapHost(swarm, {
      onOut: async (m) => {
        if (m.type !== 'commit' || m.round !== 1) return m;
        const commit = { ...m.body.commit, mergedHash: 'f'.repeat(64) };
        forged.push(commitHash(commit));
        return { ...m, body: await signCommit(commit, signWith(swarm.keys[forger])) };
      },
    });
    const wraps = swarm.keys.map((_, k) => (k === forger ? forging : (h: SwarmHost) => h));
    const sites = await swarm.startAll({ wraps });
    const honest = sites.filter((s) => s.k !== forger);

    await waitFor(() => honest.every((s) => s.peer.status().dropped['merged-hash-mismatch'] === 1), {
      timeoutMs: 20_000,
      what: 'every honest peer rejecting the forged commit',
    });
    expect(forged).toHaveLength(1);
    for (const s of honest) {
      expect(s.warnings).toContainEqual({
        fields: expect.objectContaining({ round: 1, reason: 'merged-hash-mismatch' }),
        msg: 'rejected a commit',
      });
      expect(s.events).toContainEqual({ type: 'dropped', reason: 'merged-hash-mismatch' });
    }
    // Round 1 still completes (the forger's true commit through catch-up, or the next aggregator's).
    await Promise.all(honest.map((s) => s.peer.waitForRound(1, 15_000)));
    for (const s of honest) {
      expect(s.work.applied.map((a) => a.hash)).not.toContain(forged[0]);
      expect(hashTensors(s.work.applied[1].merged)).toBe(s.work.applied[1].commit.mergedHash);
    }
  });
});
