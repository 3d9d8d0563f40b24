import { afterEach, describe, expect, it } from 'vitest';
import { aggregatorOrder, commitHash, signCommit, signWith, type SwarmHost } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { SWARM, TestSwarm, stopAll, type Site } from './peer-harness.js';
import { tapHost } from './tap.js';

afterEach(stopAll);

/*
 * A commit naming an update nobody can send: its aggregator is held to account only on evidence — it
 * answered the fetch without the update — never because it did not answer (slow, loaded, restarting).
 */
async function forgedCommitSwarm(answers: boolean) {
  const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 1 });
  const forger = swarm.members.indexOf(aggregatorOrder(SWARM, 1, swarm.members)[0]);
  const forged: string[] = [];
  let mute = false;
  // The forger's round-1 commit names, for one contributor, an update hash that nobody holds; with
  // `answers` false its direct protocol fails every request from then on (no answer, as a dead site).
  const tap = tapHost(swarm, {
    onOut: async (m) => {
      if (m.type !== 'commit' || m.round !== 1) return m;
      const c = m.body.commit;
      const contributors = c.contributors.map((x, i) => (i === 0 ? { ...x, updateHash: 'e'.repeat(64) } : x));
      const commit = { ...c, contributors };
      forged.push(commitHash(commit));
      mute = !answers;
      return { ...m, body: await signCommit(commit, signWith(swarm.keys[forger])) };
    },
  });
  const forging = (h: SwarmHost): SwarmHost => ({
    ...tap(h),
    handle: (handler) =>
      h.handle(async (request, from) => {
        if (mute) throw new Error('not answering');
        return handler(request, from);
      }),
  });
  const wraps = swarm.keys.map((_, k) => (k === forger ? forging : (h: SwarmHost) => h));
  const sites = await swarm.startAll({ wraps });
  const honest = sites.filter((s) => s.k !== forger);
  const forgerId = swarm.members[forger];
  await Promise.all(honest.map((s) => s.peer.waitForRound(1, 30_000)));
  for (const s of honest) expect(s.work.applied.map((a) => a.hash)).not.toContain(forged[0]);
  return { honest, forgerId };
}

const offencesOf = (s: Site, peerId: string) =>
  s.peer.status().members.find((m) => m.peerId === peerId)?.offences ?? {};

describe('a commit whose updates cannot be fetched', () => {
  it('is held against an aggregator that answers the fetch without the update it named', async () => {
    const { honest, forgerId } = await forgedCommitSwarm(true);
    await waitFor(() => honest.some((s) => offencesOf(s, forgerId)['unfetchable-commit'] === 1), {
      timeoutMs: 15_000,
      what: 'an honest peer scoring the forger',
    });
    for (const s of honest) {
      const warned = s.warnings.find((w) => w.msg === 'could not fetch an update a commit needs');
      if (warned) expect(warned.fields).toMatchObject({ refused: true });
    }
  });

  it('is not held against an aggregator that cannot be reached (no answer is no evidence)', async () => {
    const { honest, forgerId } = await forgedCommitSwarm(false);
    // The fetch from the mute aggregator failed (a warning says so), and no offence was scored.
    await waitFor(
      () => honest.some((s) => s.warnings.some((w) => w.msg === 'could not fetch an update a commit needs')),
      { timeoutMs: 15_000, what: 'a failed fetch of the forged commit' },
    );
    for (const s of honest) {
      for (const w of s.warnings.filter((x) => x.msg === 'could not fetch an update a commit needs'))
        expect(w.fields).toMatchObject({ refused: false });
      expect(offencesOf(s, forgerId)['unfetchable-commit']).toBeUndefined();
    }
  });
});
