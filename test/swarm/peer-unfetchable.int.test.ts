import { afterEach, describe, expect, it } from 'vitest';
import {
  WIRE_VERSION,
  aggregatorOrder,
  commitHash,
  decodeMessage,
  deriveTopicKey,
  encodeMessage,
  open,
  pskSecret,
  seal,
  signCommit,
  signWith,
  topicName,
  type SwarmHost,
} from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { SWARM, TestSwarm, stopAll, type Site } from './peer-harness.js';

afterEach(stopAll);

/*
 * A commit naming an update nobody can send: its aggregator is held to account only on evidence — it
 * answered the fetch without the update — never because it did not answer (slow, loaded, restarting).
 */
async function forgedCommitSwarm(answers: boolean) {
  const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 1 });
  const forger = swarm.members.indexOf(aggregatorOrder(SWARM, 1, swarm.members)[0]);
  const key = deriveTopicKey(pskSecret(swarm.psk), SWARM);
  const control = topicName(SWARM, 'control');
  const members = new Set(swarm.members);
  const forged: string[] = [];
  let mute = false;
  // The forger's round-1 commit names, for one contributor, an update hash that nobody holds; with
  // `answers` false its direct protocol fails every request from then on (no answer, as a dead site).
  const forging = (h: SwarmHost): SwarmHost => ({
    ...h,
    handle: (handler) =>
      h.handle(async (request, from) => {
        if (mute) throw new Error('not answering');
        return handler(request, from);
      }),
    publish: async (topic, bytes) => {
      if (topic !== 'control') return h.publish(topic, bytes);
      const r = decodeMessage(open(key, control, bytes), { swarmId: SWARM, members, maxBytes: 1 << 20 });
      if (!r.ok || r.msg.type !== 'commit' || r.msg.round !== 1) return h.publish(topic, bytes);
      const c = r.msg.body.commit;
      const contributors = c.contributors.map((x, i) => (i === 0 ? { ...x, updateHash: 'e'.repeat(64) } : x));
      const commit = { ...c, contributors };
      const signed = await signCommit(commit, signWith(swarm.keys[forger]));
      forged.push(commitHash(commit));
      const msg = encodeMessage({ ...r.msg, v: WIRE_VERSION, body: signed });
      mute = !answers;
      return h.publish(topic, seal(key, control, msg));
    },
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
