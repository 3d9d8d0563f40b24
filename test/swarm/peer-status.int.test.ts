import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { TestSwarm, stopAll } from './peer-harness.js';

afterEach(stopAll);

// What a site's status says when it cannot start a round (too few members online) and after a restart.
describe('swarm peer status', () => {
  it('says a lone site waits for peers, how many of minPeers are online and since when', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 3, maxRounds: 1 });
    const startedAt = Date.now();
    const a = await swarm.start(0);
    const alone = await waitFor(() => a.peer.status().waitingForPeers, { what: 'waiting for peers' });
    expect(alone).toEqual({ online: 1, minPeers: 3, sinceMs: expect.any(Number) });
    expect(alone.sinceMs).toBeGreaterThanOrEqual(startedAt);
    expect(a.peer.status().phase).toBe('idle');

    await swarm.start(1);
    const two = await waitFor(
      () => (a.peer.status().waitingForPeers?.online === 2 ? a.peer.status() : null),
      {
        timeoutMs: 15_000,
        what: 'a second member online',
      },
    );
    // Still the same wait: its start time does not move when a member comes.
    expect(two.waitingForPeers).toEqual({ online: 2, minPeers: 3, sinceMs: alone.sinceMs });

    await swarm.start(2);
    await waitFor(() => a.peer.status().waitingForPeers === null, {
      timeoutMs: 15_000,
      what: 'quorum',
    });
    expect(a.peer.status().phase).not.toBe('idle');
  });

  it('shows the commit a restarted site resumed from, not "none yet"', async () => {
    const swarm = await TestSwarm.create(2, { minPeers: 2, maxRounds: 2 });
    const sites = await swarm.startAll();
    await Promise.all(sites.map((s) => s.peer.waitForRound(2, 30_000)));
    await sites[0].peer.stop();
    const last = sites[0].work.last()!;
    const restarted = await swarm.start(0, {
      host: sites[0].host,
      work: sites[0].work.restarted(),
      init: { resume: { ...last } },
    });
    const c = restarted.peer.status().lastCommit;
    expect(c).toEqual({
      round: 2,
      hash: last.hash,
      contributors: last.commit.contributors.map((x) => ({ peerId: x.peerId, samples: x.samples })),
      atMs: last.commit.createdAt,
      resumed: true,
    });
  });
});
