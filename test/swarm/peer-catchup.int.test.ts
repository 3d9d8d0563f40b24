import { afterEach, describe, expect, it } from 'vitest';
import { hashTensors } from '../../src/core/index.js';
import { waitFor } from '../helpers/wait.js';
import { TestSwarm, stopAll, type Site } from './peer-harness.js';

afterEach(stopAll);

describe('swarm peer catch-up', () => {
  it('restarts a peer from its round-1 commit, catches it up to the swarm and has it join the next round', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 6, roundDeadlineMs: 20_000 });
    let stopNow: () => void = () => {};
    const stopped = new Promise<void>((resolve) => (stopNow = resolve));
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    // Sites 0 and 1 hold round 4 until they have heard from the restarted site; site 2 stops right after round 1.
    const held = { beforeTrain: (round: number) => (round >= 4 ? gate : undefined) };
    const sites = await swarm.startAll({ hooks: [held, held, { afterApply: (r) => r === 1 && stopNow() }] });
    await stopped;
    await sites[2].peer.stop();
    await sites[2].host.stop();
    const before = sites[2].work;
    expect(before.applied.map((a) => a.round)).toEqual([0, 1]);
    await Promise.all(sites.slice(0, 2).map((s) => s.peer.waitForRound(3, 30_000)));

    const restartAt = Date.now();
    const r1 = before.applied[1];
    const restarted = await swarm.start(2, {
      work: before.restarted(),
      init: { resume: { ...r1 } },
    });
    const seen = (s: Site) =>
      (s.peer.status().members.find((m) => m.peerId === restarted.peerId)?.lastSeenMs ?? 0) > restartAt;
    await waitFor(() => seen(sites[0]) && seen(sites[1]), {
      timeoutMs: 15_000,
      what: 'the others hearing the restarted site',
    });
    release();

    const work = restarted.work;
    await restarted.peer.waitForRound(4, 20_000);
    // Caught up to round 3 without training it, then trained and contributed to round 4 with the others.
    expect(work.applied.map((a) => a.round)).toEqual([0, 1, 3, 4]);
    expect(work.trained).toEqual([4]);
    const r4 = work.applied[3];
    expect(r4.commit.contributors.map((c) => c.peerId).sort()).toEqual([...swarm.members].sort());
    await sites[0].peer.waitForRound(4, 10_000);
    const a4 = sites[0].work.applied.find((x) => x.round === 4)!;
    expect(a4.hash).toBe(r4.hash);
    expect(hashTensors(a4.merged)).toBe(hashTensors(r4.merged));
    expect(work.applied[2].hash).toBe(sites[0].work.applied.find((x) => x.round === 3)!.hash);
    // Its round log has every round, chained, equal to the others' (catch-up logs the whole segment).
    expect(work.log.map((e) => e.round)).toEqual([0, 1, 2, 3, 4]);
    work.log.forEach((e, i) => expect(e.prevHash).toBe(i === 0 ? null : work.log[i - 1].hash));
    expect(work.log.map((e) => e.hash)).toEqual(sites[0].work.log.map((e) => e.hash));
  });

  it('brings a late joiner up to date, statistics round first, and has it join the next round', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 4, roundDeadlineMs: 20_000 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = { beforeTrain: (round: number) => (round >= 3 ? gate : undefined) };
    const early = [await swarm.host(0), await swarm.host(1)];
    await swarm.meshReady(early);
    const sites = await Promise.all(early.map((host, k) => swarm.start(k, { host, hooks: held })));
    await Promise.all(sites.map((s) => s.peer.waitForRound(2, 30_000)));

    const joinAt = Date.now();
    const late = await swarm.start(2);
    const heard = (s: Site) =>
      (s.peer.status().members.find((m) => m.peerId === late.peerId)?.lastSeenMs ?? 0) > joinAt;
    await waitFor(() => sites.every(heard), {
      timeoutMs: 15_000,
      what: 'the others hearing the late joiner',
    });
    release();

    await Promise.all([late, ...sites].map((s) => s.peer.waitForRound(3, 20_000)));
    expect(late.work.applied.map((a) => a.round).slice(0, 3)).toEqual([0, 2, 3]);
    expect(late.work.trained[0]).toBe(3); // nothing before the round it joined
    for (const round of [0, 2, 3]) {
      const mine = late.work.applied.find((a) => a.round === round)!;
      const theirs = sites[0].work.applied.find((a) => a.round === round)!;
      expect(mine.hash).toBe(theirs.hash);
      expect(hashTensors(mine.merged)).toBe(mine.commit.mergedHash);
    }
    expect([...late.work.applied[0].merged.get('count')!.data]).toEqual([21]); // sites 0 and 1: 10 + 11
    expect(late.work.applied[2].commit.contributors.map((c) => c.peerId).sort()).toEqual(
      [...swarm.members].sort(),
    );
  });

  it('serves the statistics round to a late joiner after every early site restarted', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 3, roundDeadlineMs: 20_000 });
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = { beforeTrain: (round: number) => (round >= 3 ? gate : undefined) };
    const early = [await swarm.host(0), await swarm.host(1)];
    await swarm.meshReady(early);
    const first = await Promise.all(early.map((host, k) => swarm.start(k, { host, hooks: held })));
    await Promise.all(first.map((s) => s.peer.waitForRound(2, 30_000)));
    for (const s of first) {
      await s.peer.stop();
      await s.host.stop();
    }
    // Restarted from their stores: last commit (round 2) plus the statistics round, as the node passes them.
    const restarted: Site[] = [];
    for (const [k, s] of first.entries()) {
      const log = s.work.applied;
      const last = log[log.length - 1];
      const round0 = log.find((a) => a.round === 0)!;
      restarted.push(
        await swarm.start(k, {
          work: s.work.restarted(held),
          init: {
            resume: { ...last },
            resumeStats: { bytes: round0.bytes, merged: round0.merged },
          },
        }),
      );
    }
    const late = await swarm.start(2);
    await waitFor(() => late.work.applied.some((a) => a.round === 0), {
      timeoutMs: 20_000,
      what: 'the late joiner applying the statistics round served by restarted peers',
    });
    release();
    await Promise.all([late, ...restarted].map((s) => s.peer.waitForRound(3, 20_000)));
    const stats = late.work.applied.find((a) => a.round === 0)!;
    expect(stats.hash).toBe(first[0].work.applied.find((a) => a.round === 0)!.hash);
    expect([...stats.merged.get('count')!.data]).toEqual([21]);
  });
});
