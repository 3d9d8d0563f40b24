import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/index.js';
import {
  aggregatorOrder,
  commitHash,
  createCommit,
  initialRoundState,
  step,
  type Contributor,
  type Effect,
  type RoundConfig,
  type RoundEvent,
  type RoundState,
  type SignedCommit,
} from '../../src/swarm/protocol/index.js';

const members = ['peer-a', 'peer-b', 'peer-c'];
const DEADLINE = 10_000;
const TIMEOUT = 5_000;
const [first, second, third] = aggregatorOrder('swarm-1', 1, members);
const upd = (peer: string, round = 1) => createHash('sha256').update(`${peer}/${round}`).digest('hex');
const samples: Record<string, number> = { 'peer-a': 10, 'peer-b': 20, 'peer-c': 30 };
const contributor = (peerId: string, round = 1): Contributor => ({
  peerId,
  updateHash: upd(peerId, round),
  samples: samples[peerId],
});
/** The statistics round (0) is applied before every model round these tests run. */
const STATS_HASH = 's'.repeat(64);
const AFTER_STATS = { round: 0, hash: STATS_HASH };

/** Stands in for the merged weights' hash: any deterministic function of the contributors does here. */
const fakeMerge = (cs: Contributor[]) => createHash('sha256').update(JSON.stringify(cs)).digest('hex');

function config(self: string, over: Partial<RoundConfig> = {}): RoundConfig {
  const base = {
    swarmId: 'swarm-1',
    members,
    minPeers: 2,
    roundDeadlineMs: DEADLINE,
    commitTimeoutMs: TIMEOUT,
  };
  return { ...base, self, merge: 'fedavg', ...over };
}

function signedCommit(
  round: number,
  cs: Contributor[],
  aggregator: string,
  prevHash: string | null,
): SignedCommit {
  const commit = createCommit({
    ...{ swarmId: 'swarm-1', round, prevHash, contributors: cs, method: 'fedavg', kind: 'model' },
    ...{ mergedHash: fakeMerge(cs), aggregator, createdAt: 1 },
  });
  return { commit, signature: new Uint8Array(64) };
}

/** A swarm of pure state machines and the effects each step produced; time is whatever the test passes. */
class Swarm {
  readonly states = new Map<string, RoundState>();
  constructor(cfg: (id: string) => RoundConfig, last: { round: number; hash: string } | null = AFTER_STATS) {
    for (const id of members) this.states.set(id, initialRoundState(cfg(id), last));
  }
  on(id: string, event: RoundEvent, now: number): Effect[] {
    const res = step(this.states.get(id)!, event, now);
    this.states.set(id, res.state);
    return res.effects;
  }
  state(id: string): RoundState {
    return this.states.get(id)!;
  }
  /** Everyone sees everyone: returns each peer's effects. */
  connectAll(now: number): Record<string, Effect[]> {
    return Object.fromEntries(
      members.map((id) => [
        id,
        members.filter((p) => p !== id).flatMap((p) => this.on(id, { type: 'peer-seen', peerId: p }, now)),
      ]),
    );
  }
  /** `from` finishes training and every other peer receives its update. */
  contribute(from: string, now: number, round = 1, to = members): Record<string, Effect[]> {
    const out: Record<string, Effect[]> = {};
    const u = { round, updateHash: upd(from, round), samples: samples[from] };
    out[from] = this.on(from, { type: 'local-update-ready', ...u }, now);
    for (const id of to.filter((p) => p !== from))
      out[id] = this.on(id, { type: 'update-received', from, ...u }, now);
    return out;
  }
  deliverCommit(signed: SignedCommit, now: number): Record<string, Effect[]> {
    const recomputed = fakeMerge(signed.commit.contributors);
    const event: RoundEvent = { type: 'commit-received', signed, recomputedMergedHash: recomputed };
    return Object.fromEntries(members.map((id) => [id, this.on(id, event, now)]));
  }
}

describe('round state machine', () => {
  it('runs a full round with 3 peers: train, publish, close early, merge, commit, apply, next round', () => {
    const swarm = new Swarm((id) => config(id));
    const started = swarm.connectAll(0);
    for (const id of members) expect(started[id]).toEqual([{ type: 'start-training', round: 1 }]);
    expect(swarm.state(first).phase).toBe('training');
    expect(swarm.state(first).deadline).toBe(DEADLINE);

    expect(swarm.contribute('peer-a', 3000)).toEqual({
      'peer-a': [{ type: 'publish-update', round: 1 }],
      'peer-b': [],
      'peer-c': [],
    });
    swarm.contribute('peer-b', 3100);
    expect(swarm.state('peer-a').phase).toBe('collecting');
    expect(swarm.state('peer-c').phase).toBe('training'); // two in, but peer-c itself has not contributed
    const last = swarm.contribute('peer-c', 3200);

    // Everyone live has contributed: collection closes before the deadline and the first in order merges.
    const all = members.map((p) => contributor(p));
    expect(last[first]).toContainEqual({ type: 'merge-and-commit', round: 1, attempt: 0, contributors: all });
    for (const id of [second, third]) expect(last[id].some((e) => e.type === 'merge-and-commit')).toBe(false);
    for (const id of members) expect(swarm.state(id)).toMatchObject({ phase: 'committing', closedAt: 3200 });

    const signed = signedCommit(1, all, first, STATS_HASH);
    const applied = swarm.deliverCommit(signed, 3300);
    for (const id of members) expect(applied[id]).toEqual([{ type: 'apply-commit', signed }]);
    for (const id of members) expect(swarm.state(id).phase).toBe('applying');

    const hash = commitHash(signed.commit);
    for (const id of members) {
      expect(swarm.on(id, { type: 'commit-applied', round: 1, hash }, 3400)).toEqual([
        { type: 'start-training', round: 2 },
      ]);
      expect(swarm.state(id)).toMatchObject({
        round: 2,
        prevHash: hash,
        phase: 'training',
        deadline: 13_400,
      });
      expect(swarm.state(id).updates.size).toBe(0);
    }
  });

  it('waits in idle until a quorum of members is live', () => {
    const swarm = new Swarm((id) => config(id, { minPeers: 3 }));
    expect(swarm.on('peer-a', { type: 'peer-seen', peerId: 'peer-b' }, 0)).toEqual([]);
    expect(swarm.on('peer-a', { type: 'peer-seen', peerId: 'peer-z' }, 0)).toEqual([]); // not a member
    expect(swarm.on('peer-a', { type: 'tick' }, 50_000)).toEqual([]);
    expect(swarm.state('peer-a').phase).toBe('idle');
    expect(swarm.on('peer-a', { type: 'peer-seen', peerId: 'peer-c' }, 60_000)).toEqual([
      { type: 'start-training', round: 1 },
    ]);
  });

  it('closes at the deadline and lets the next aggregator take over after each commit timeout', () => {
    const swarm = new Swarm((id) => config(id));
    swarm.connectAll(0);
    swarm.contribute(first, 1000);
    swarm.contribute(second, 2000);
    // The third peer never contributes; at the deadline collection closes with 2 ≥ minPeers.
    const atDeadline = Object.fromEntries(
      members.map((id) => [id, swarm.on(id, { type: 'tick' }, DEADLINE + 10)]),
    );
    const two = [contributor(first), contributor(second)].sort((a, b) => (a.peerId < b.peerId ? -1 : 1));
    expect(atDeadline[first]).toEqual([
      { type: 'merge-and-commit', round: 1, attempt: 0, contributors: two },
    ]);
    expect(swarm.state(second).closedAt).toBe(DEADLINE);

    // The first aggregator dies silently; the second steps in after one commit timeout, not before.
    expect(swarm.on(second, { type: 'tick' }, DEADLINE + TIMEOUT - 1)).toEqual([]);
    expect(swarm.on(second, { type: 'tick' }, DEADLINE + TIMEOUT)).toEqual([
      { type: 'merge-and-commit', round: 1, attempt: 1, contributors: two },
    ]);
    expect(swarm.on(second, { type: 'tick' }, DEADLINE + TIMEOUT + 1)).toEqual([]);
    // A peer lost after the close does not shift the turns.
    expect(swarm.on(third, { type: 'peer-lost', peerId: first }, DEADLINE + TIMEOUT)).toEqual([]);
    expect(swarm.on(third, { type: 'tick' }, DEADLINE + 2 * TIMEOUT)).toEqual([
      { type: 'merge-and-commit', round: 1, attempt: 2, contributors: two },
    ]);

    // The second aggregator's commit reaches everyone: nobody steps in any more.
    const applied = swarm.deliverCommit(signedCommit(1, two, second, STATS_HASH), DEADLINE + 2 * TIMEOUT + 5);
    for (const id of members) expect(applied[id].map((e) => e.type)).toEqual(['apply-commit']);
    expect(swarm.on(first, { type: 'tick' }, DEADLINE + 3 * TIMEOUT)).toEqual([]);
  });

  it('stalls when collection closes below quorum and recovers when enough updates arrive', () => {
    const swarm = new Swarm((id) => config(id, { minPeers: 3 }));
    swarm.connectAll(0);
    const others = members.filter((p) => p !== first);
    swarm.contribute(first, 1000);
    swarm.contribute(others[0], 1000);
    expect(swarm.on(first, { type: 'tick' }, DEADLINE - 1)).toEqual([]);
    expect(swarm.on(first, { type: 'tick' }, DEADLINE + 2500)).toEqual([
      { type: 'stalled', round: 1, sinceMs: DEADLINE },
    ]);
    expect(swarm.state(first).phase).toBe('stalled');
    expect(swarm.on(first, { type: 'tick' }, DEADLINE + 10 * TIMEOUT)).toEqual([]);

    // The missing peer comes back and publishes: quorum reached. The turn clock still runs from the
    // first close (attempt 11 at `back` is third's turn, not this peer's), so no second clock starts.
    const back = DEADLINE + 11 * TIMEOUT;
    const u = { round: 1, updateHash: upd(others[1]), samples: samples[others[1]] };
    expect(swarm.on(first, { type: 'update-received', from: others[1], ...u }, back)).toEqual([]);
    expect(swarm.state(first)).toMatchObject({ phase: 'committing', closedAt: DEADLINE });
    const all = members.map((p) => contributor(p));
    expect(swarm.on(first, { type: 'tick' }, DEADLINE + 12 * TIMEOUT)).toEqual([
      { type: 'merge-and-commit', round: 1, attempt: 12, contributors: all },
    ]);
  });

  it('lets only one peer commit when a stalled round regains quorum at different times', () => {
    // third trains slowly: first and second close at the deadline without its update and stall. Its
    // update reaches second half a timeout later and first a timeout after that.
    const swarm = new Swarm((id) => config(id, { minPeers: 3 }));
    swarm.connectAll(0);
    swarm.contribute(first, 1000, 1, [first, second]);
    swarm.contribute(second, 1000, 1, [first, second]);
    for (const p of [first, second]) swarm.on(p, { type: 'tick' }, DEADLINE);
    expect([first, second].map((p) => swarm.state(p).phase)).toEqual(['stalled', 'stalled']);
    const u = { round: 1, updateHash: upd(third), samples: samples[third] };
    const issued: { peer: string; attempt: number; at: number }[] = [];
    const feed = (peer: string, event: RoundEvent, at: number) =>
      swarm.on(peer, event, at).forEach((e) => {
        if (e.type === 'merge-and-commit') issued.push({ peer, attempt: e.attempt, at });
      });
    feed(second, { type: 'update-received', from: third, ...u }, DEADLINE + TIMEOUT / 2);
    feed(first, { type: 'update-received', from: third, ...u }, DEADLINE + (3 * TIMEOUT) / 2);
    feed(second, { type: 'tick' }, DEADLINE + (3 * TIMEOUT) / 2);
    // Both peers count attempts from the same close, so only the peer whose turn it is commits: first
    // at attempt 0 would have been before its quorum, second's turn (attempt 1) is now.
    expect(issued).toEqual([{ peer: second, attempt: 1, at: DEADLINE + (3 * TIMEOUT) / 2 }]);
  });

  it('publishes its own signed commit only while the round is committing and no other commit is in', () => {
    const swarm = new Swarm((id) => config(id));
    swarm.connectAll(0);
    members.forEach((p) => swarm.contribute(p, 1000));
    const all = members.map((p) => contributor(p));
    const own = signedCommit(1, all, first, STATS_HASH);
    const ready = (signed: SignedCommit): RoundEvent => ({
      type: 'own-commit-signed',
      signed,
      mergedHash: fakeMerge(all),
    });
    expect(swarm.on(first, ready(own), 1001)).toEqual([
      { type: 'publish-commit', signed: own },
      { type: 'apply-commit', signed: own },
    ]);
    // second waits on first's commit (it lacks an update): its own commit, signed later, is withheld.
    const pending: RoundEvent = { type: 'commit-received', signed: own, recomputedMergedHash: null };
    swarm.on(second, pending, 1002);
    const late = signedCommit(1, all, second, STATS_HASH);
    expect(swarm.on(second, ready(late), 1003)).toEqual([{ type: 'withhold-commit', round: 1 }]);
    // A commit timeout later first's commit has had its turn (its updates never came): second's goes out.
    expect(swarm.on(second, ready(late), 1002 + TIMEOUT)).toEqual([
      { type: 'publish-commit', signed: late },
      { type: 'apply-commit', signed: late },
    ]);
    // A commit signed for a round this peer has left is withheld too.
    swarm.on(third, { type: 'commit-applied', round: 1, hash: commitHash(own.commit) }, 1004);
    expect(swarm.on(third, ready(signedCommit(1, all, third, STATS_HASH)), 1005)).toEqual([
      { type: 'withhold-commit', round: 1 },
    ]);
  });

  it('drops updates for old rounds, too far ahead, from non-members, and equivocations', () => {
    const last = { round: 1, hash: 'a'.repeat(64) };
    const swarm = new Swarm((id) => config(id), last);
    expect(swarm.state('peer-a').round).toBe(2);
    const from = (peer: string, round: number, hash = upd(peer, round)): RoundEvent => ({
      type: 'update-received',
      from: peer,
      round,
      updateHash: hash,
      samples: 5,
    });
    expect(swarm.on('peer-a', from('peer-b', 1), 100)).toEqual([
      { type: 'drop', reason: 'stale-round', from: 'peer-b' },
    ]);
    expect(swarm.on('peer-a', from('peer-b', 4), 100)).toEqual([
      { type: 'drop', reason: 'future-round', from: 'peer-b' },
    ]);
    expect(swarm.on('peer-a', from('peer-z', 2), 100)).toEqual([
      { type: 'drop', reason: 'non-member', from: 'peer-z' },
    ]);
    expect(swarm.on('peer-a', from('peer-b', 2), 100)).toEqual([]);
    expect(swarm.on('peer-a', from('peer-b', 2), 100)).toEqual([]); // the same update again: harmless
    expect(swarm.on('peer-a', from('peer-b', 2, 'f'.repeat(64)), 100)).toEqual([
      { type: 'drop', reason: 'equivocation', from: 'peer-b' },
    ]);
    expect(
      swarm.on(
        'peer-a',
        { type: 'local-update-ready', round: 1, updateHash: upd('peer-a'), samples: 1 },
        100,
      ),
    ).toEqual([{ type: 'drop', reason: 'stale-round', from: 'peer-a' }]);
  });

  it('keeps an update for the next round and counts it once that round starts', () => {
    const swarm = new Swarm((id) => config(id));
    swarm.connectAll(0);
    const early = { round: 2, updateHash: upd('peer-c', 2), samples: 30 };
    expect(swarm.on('peer-a', { type: 'update-received', from: 'peer-c', ...early }, 500)).toEqual([]);
    expect(swarm.state('peer-a').updates.size).toBe(0);
    swarm.on('peer-a', { type: 'commit-applied', round: 1, hash: 'b'.repeat(64) }, 600);
    expect(swarm.state('peer-a').updates.get('peer-c')).toEqual({
      updateHash: early.updateHash,
      samples: 30,
      late: false,
    });
  });

  it('drops an update that arrives after the close and leaves it out of the merge', () => {
    const swarm = new Swarm((id) => config(id));
    swarm.connectAll(0);
    swarm.contribute(first, 1000, 1, [first, second]);
    swarm.contribute(second, 1000, 1, [first, second]);
    swarm.on(first, { type: 'tick' }, DEADLINE);
    const late = { round: 1, updateHash: upd(third), samples: samples[third] };
    expect(swarm.on(first, { type: 'update-received', from: third, ...late }, DEADLINE + 1)).toEqual([
      { type: 'drop', reason: 'late', from: third },
    ]);
    expect(swarm.on(second, { type: 'tick' }, DEADLINE + TIMEOUT)).toEqual([
      {
        type: 'merge-and-commit',
        round: 1,
        attempt: 1,
        contributors: [contributor(first), contributor(second)].sort((a, b) =>
          a.peerId < b.peerId ? -1 : 1,
        ),
      },
    ]);
  });

  describe('commits', () => {
    /** Three peers that all contributed to round 1 and closed at 3000. */
    function closedRound(): Swarm {
      const swarm = new Swarm((id) => config(id));
      swarm.connectAll(0);
      for (const id of members) swarm.contribute(id, 3000);
      return swarm;
    }
    const all = () => members.map((p) => contributor(p));

    it('rejects a commit whose merged hash differs and lets the next aggregator commit', () => {
      const swarm = closedRound();
      const signed = signedCommit(1, all(), first, STATS_HASH);
      const event: RoundEvent = { type: 'commit-received', signed, recomputedMergedHash: 'e'.repeat(64) };
      expect(swarm.on(second, event, 3100)).toEqual([
        expect.objectContaining({ type: 'reject-commit', reason: 'merged-hash-mismatch', round: 1 }),
      ]);
      expect(swarm.state(second).phase).toBe('committing');
      expect(swarm.on(second, { type: 'tick' }, 3000 + TIMEOUT)).toEqual([
        { type: 'merge-and-commit', round: 1, attempt: 1, contributors: all() },
      ]);
    });

    it('rejects a commit off the chain, below quorum or from a non-member', () => {
      const reasons = [
        signedCommit(1, all(), first, 'c'.repeat(64)),
        signedCommit(1, [contributor('peer-a')], first, STATS_HASH),
        signedCommit(1, all(), 'peer-z', STATS_HASH),
      ].map((signed) =>
        closedRound().on(second, { type: 'commit-received', signed, recomputedMergedHash: null }, 3100),
      );
      expect(reasons.flat().map((e) => (e.type === 'reject-commit' ? e.reason : e.type))).toEqual([
        'bad-chain',
        'below-quorum',
        'non-member-aggregator',
      ]);
    });

    it('fetches the updates it lacks, holds back takeover meanwhile, then applies', () => {
      const swarm = new Swarm((id) => config(id));
      swarm.connectAll(0);
      swarm.contribute(first, 1000, 1, [first, second]);
      swarm.contribute(second, 1000, 1, [first, second]);
      // The second peer never got the third peer's update, but the commit lists it.
      const signed = signedCommit(1, all(), first, STATS_HASH);
      const pending: RoundEvent = { type: 'commit-received', signed, recomputedMergedHash: null };
      expect(swarm.on(second, pending, DEADLINE)).toEqual([
        { type: 'fetch-update', updateHash: upd(third), from: first },
      ]);
      expect(swarm.on(second, { type: 'tick' }, DEADLINE + TIMEOUT - 1)).toEqual([]);
      const ready: RoundEvent = { ...pending, recomputedMergedHash: fakeMerge(all()) };
      expect(swarm.on(second, ready, DEADLINE + TIMEOUT - 1)).toEqual([{ type: 'apply-commit', signed }]);
    });

    it('applies a valid commit even while still training', () => {
      const swarm = new Swarm((id) => config(id));
      swarm.connectAll(0);
      const cs = [first, second].map((p) => contributor(p)).sort((a, b) => (a.peerId < b.peerId ? -1 : 1));
      const signed = signedCommit(1, cs, first, STATS_HASH);
      const res = swarm.deliverCommit(signed, 500);
      expect(res[third]).toEqual([{ type: 'apply-commit', signed }]);
    });

    it('drops an old or duplicate commit and asks to catch up on a future one', () => {
      const swarm = closedRound();
      const signed = signedCommit(1, all(), first, STATS_HASH);
      swarm.deliverCommit(signed, 3100);
      expect(swarm.deliverCommit(signed, 3200)[second]).toEqual([
        { type: 'drop', reason: 'duplicate-commit', from: first },
      ]);
      swarm.on(second, { type: 'commit-applied', round: 1, hash: commitHash(signed.commit) }, 3300);
      expect(swarm.deliverCommit(signed, 3400)[second]).toEqual([
        { type: 'drop', reason: 'stale-round', from: first },
      ]);
      const future = signedCommit(5, all(), third, 'd'.repeat(64));
      expect(swarm.deliverCommit(future, 3500)[second]).toEqual([
        { type: 'catch-up', fromRound: 2, from: third },
      ]);
      // The host caught up from the log: the machine jumps to the round after the applied one.
      swarm.on(second, { type: 'commit-applied', round: 5, hash: commitHash(future.commit) }, 3600);
      expect(swarm.state(second)).toMatchObject({ round: 6, phase: 'training' });
    });
  });

  it('refuses a config this peer is not a member of or whose quorum cannot be met', () => {
    expect(() => initialRoundState(config('peer-z'), null)).toThrow(InputError);
    expect(() => initialRoundState(config('peer-a', { minPeers: 4 }), null)).toThrow(InputError);
    expect(() => initialRoundState(config('peer-a', { commitTimeoutMs: 0 }), null)).toThrow(InputError);
  });
});
