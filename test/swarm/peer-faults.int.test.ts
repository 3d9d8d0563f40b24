import { afterEach, describe, expect, it } from 'vitest';
import { hashTensors } from '../../src/core/index.js';
import {
  aggregatorOrder,
  commitHash,
  decodeMessage,
  signCommit,
  signWith,
  type SwarmHost,
} from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { SWARM, TestSwarm, stopAll } from './peer-harness.js';
import { tapHost } from './tap.js';

afterEach(stopAll);

/** The members whose votes certify a stored round-log entry. */
function certificateOf(bytes: Uint8Array, members: string[]): string[] {
  const r = decodeMessage(bytes, { swarmId: SWARM, members: new Set(members), maxBytes: 1 << 20 });
  if (!r.ok || r.msg.type !== 'commit') throw new Error('a log entry that does not decode');
  return (r.msg.body.certificate?.votes ?? []).map((v) => v.peerId);
}

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

  it('never applies an aggregator commit that reached no one: its maker takes the certified commit of the swarm', async () => {
    const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 2 });
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const orphaner = swarm.members.indexOf(order[0]);
    // Its round-1 commit never leaves the machine: before certificates it applied it alone (an orphan).
    const silent = tapHost(swarm, { onOut: (m) => (m.type === 'commit' && m.round === 1 ? null : m) });
    const sites = await swarm.startAll({
      wraps: swarm.keys.map((_, k) => (k === orphaner ? silent : (h: SwarmHost) => h)),
    });
    await Promise.all(sites.map((s) => s.peer.waitForRound(2, 30_000)));
    const agreed = sites[(orphaner + 1) % 3].work.log.map((e) => e.hash);
    for (const s of sites) expect(s.work.log.map((e) => e.hash)).toEqual(agreed);
    // It voted for its own commit (of the merge it made; an identical merge of the next aggregator is the
    // same commit), voted once, and applied exactly the swarm's commit of round 1.
    expect(sites[orphaner].work.votes.get(1)).toBeDefined();
    expect(sites[orphaner].work.applied.filter((a) => a.round === 1).map((a) => a.hash)).toEqual([agreed[1]]);
    expect(certificateOf(sites[orphaner].work.log[1].bytes, swarm.members).length).toBeGreaterThanOrEqual(2);
  });

  it('leaves no same-height fork when the first aggregator commit reaches the next aggregator late', async () => {
    const commitTimeoutMs = 1500;
    const swarm = await TestSwarm.create(3, { minPeers: 3, maxRounds: 2, commitTimeoutMs });
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const second = swarm.members.indexOf(order[1]);
    // The first aggregator's round-1 commit reaches the second only after the second's own turn has come:
    // before certificates the two sides applied two different commits of round 1. Now the next aggregator's
    // own commit of the same merge is the same commit (the hash covers the merge), certified by the others'
    // votes, and every site applies it once.
    const late = tapHost(swarm, {
      // …and so do the hellos saying round 1 is committed (else it would catch up before its turn).
      holdIn: (m) =>
        (m.type === 'commit' && m.round === 1 && m.from === order[0]) ||
        (m.type === 'hello' && (m.body.committedRound ?? -1) === 1)
          ? new Promise((r) => setTimeout(r, 2.5 * commitTimeoutMs))
          : undefined,
    });
    const sites = await swarm.startAll({
      wraps: swarm.keys.map((_, k) => (k === second ? late : (h: SwarmHost) => h)),
    });
    await Promise.all(sites.map((s) => s.peer.waitForRound(2, 40_000)));
    const logs = sites.map((s) => s.work.log.map((e) => e.hash));
    expect(logs[1]).toEqual(logs[0]);
    expect(logs[2]).toEqual(logs[0]);
    // The second aggregator voted once in round 1 and applied exactly the swarm's commit (its own merge, if
    // it made one in its turn, is the same commit when it merged the same updates).
    expect(sites[second].work.votes.get(1)).toBeDefined();
    expect(sites[second].work.applied.filter((a) => a.round === 1).map((a) => a.hash)).toEqual([logs[0][1]]);
    expect(certificateOf(sites[second].work.log[1].bytes, swarm.members).length).toBeGreaterThanOrEqual(2);
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
