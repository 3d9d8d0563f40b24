import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashTensors, type NamedTensors } from '../../src/core/index.js';
import {
  encodeContribution,
  MemberScores,
  RateLimiter,
  RecentSet,
  aggregatorOrder,
  checkCommitStructure,
  commitHash,
  createCommit,
  initialRoundState,
  planMerge,
  recomputeMerge,
  screenCommit,
  step,
  type Contributor,
  type HeldUpdates,
  type RoundCommit,
  type RoundState,
  type UpdateManifest,
} from '../../src/swarm/protocol/index.js';
import { vector } from '../helpers/tensors.js';

/*
 * The pure rules a member cannot get round: whose turn it is to commit (fake clock), one commit per
 * aggregator per round, exclusions named in the commit and recomputed by every verifier, and the scoring,
 * rate limit and negative cache that bound what a misbehaving member costs.
 */
const members = ['peer-a', 'peer-b', 'peer-c'];
const TIMEOUT = 5000;
const [first, second, third] = aggregatorOrder('swarm-1', 1, members);
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function commit(aggregator: string, over: Partial<RoundCommit> = {}): RoundCommit {
  return createCommit({
    ...{ swarmId: 'swarm-1', round: 1, prevHash: sha('stats'), method: 'fedavg', kind: 'model' },
    contributors: members.map((peerId) => ({ peerId, updateHash: sha(peerId), samples: 10 })),
    ...{ mergedHash: sha('merged'), aggregator, createdAt: 1 },
    ...over,
  });
}

/** Peer `self` in round 1 with every member live, collection closed at 3000 unless `open`. */
function roundState(self: string, open = false, turnToleranceMs?: number): RoundState {
  const cfg = {
    ...{ swarmId: 'swarm-1', self, members, minPeers: 2, roundDeadlineMs: 10_000 },
    ...{ commitTimeoutMs: TIMEOUT, merge: 'fedavg' as const, turnToleranceMs },
  };
  let s = initialRoundState(cfg, { round: 0, hash: sha('stats') });
  for (const peerId of members) s = step(s, { type: 'peer-seen', peerId }, 0).state;
  if (open) return s;
  for (const peerId of members) {
    const u = { round: 1, updateHash: sha(peerId), samples: 10 };
    const e =
      peerId === self
        ? { type: 'local-update-ready' as const, ...u }
        : { type: 'update-received' as const, from: peerId, ...u };
    s = step(s, e, 3000).state;
  }
  expect(s).toMatchObject({ phase: 'committing', closedAt: 3000 });
  return s;
}

describe('commit turns', () => {
  it('accepts the first aggregator at once and the k-th from k commit timeouts minus half a timeout', () => {
    const other = roundState(third);
    const at = (agg: string, now: number) => screenCommit(other, commit(agg), now).ok;
    // Half a commit timeout of tolerance: attempt k opens at 3000 + k·5000 − 2500.
    expect([at(first, 3000), at(second, 3000), at(second, 5499), at(second, 5500)]).toEqual([
      true,
      false,
      false,
      true,
    ]);
    expect(screenCommit(other, commit(second), 3100)).toMatchObject({
      ok: false,
      reason: 'out-of-turn',
      detail:
        'aggregator 2 in order of 3 committed 100 ms after this peer closed the round, when turns up to 1 were open',
    });
    // An earlier aggregator stays acceptable later (a slow one may still finish).
    expect(at(first, 3000 + 3 * TIMEOUT)).toBe(true);
  });

  it('before this peer closes the round, accepts only the first in order', () => {
    const s = roundState(third, true);
    expect(s.phase).toBe('training');
    expect(screenCommit(s, commit(first), 100).ok).toBe(true);
    expect(screenCommit(s, commit(second), 100)).toMatchObject({ ok: false, reason: 'out-of-turn' });
  });

  it('uses a configured tolerance', () => {
    const s = roundState(third, false, 0);
    expect(screenCommit(s, commit(second), 3000 + TIMEOUT - 1).ok).toBe(false);
    expect(screenCommit(s, commit(second), 3000 + TIMEOUT).ok).toBe(true);
  });

  it('holds a commit until its turn, considers one commit per aggregator a round, rejects one never due', () => {
    const s = roundState(third);
    const early = { commit: commit(second), signature: new Uint8Array(64) };
    const r = step(s, { type: 'commit-received', signed: early, recomputedMergedHash: null }, 3100);
    expect(r.effects).toEqual([{ type: 'drop', reason: 'early-commit', from: second }]);
    // Its turn opens at 3000 + 5000 − 2500: then it is checked again.
    expect(step(r.state, { type: 'tick' }, 5499).effects).toEqual([]);
    expect(step(r.state, { type: 'tick' }, 5500).effects).toEqual([
      { type: 'recheck-commit', signed: early },
    ]);
    // The same aggregator's second commit of the round merging something else is equivocation (the same
    // merge signed again at another time is the same commit: its hash covers the merge only).
    expect(commitHash(commit(second, { createdAt: 2 }))).toBe(commitHash(commit(second)));
    const again = { commit: commit(second, { mergedHash: sha('other') }), signature: new Uint8Array(64) };
    const r2 = step(r.state, { type: 'commit-received', signed: again, recomputedMergedHash: null }, 3200);
    expect(r2.effects).toEqual([{ type: 'drop', reason: 'commit-equivocation', from: second }]);
    // The first aggregator's commit is applied; the held one never had its turn.
    const good = { commit: commit(first), signature: new Uint8Array(64) };
    const ready = {
      type: 'commit-received' as const,
      signed: good,
      recomputedMergedHash: good.commit.mergedHash,
    };
    const r3 = step(r2.state, ready, 3300);
    expect(r3.effects).toEqual([{ type: 'apply-commit', signed: good }]);
    const r4 = step(r3.state, { type: 'commit-applied', round: 1, hash: commitHash(good.commit) }, 3400);
    expect(r4.effects).toContainEqual(
      expect.objectContaining({ type: 'reject-commit', reason: 'out-of-turn', aggregator: second }),
    );
    expect(r4.state.heldCommits.size).toBe(0);
  });
});

/** Updates held by hash, as the transfer store holds them. */
function held(updates: { peerId: string; samples: number; tensors: NamedTensors }[]) {
  const byHash = new Map<string, { manifest: UpdateManifest; bytes: Uint8Array }>();
  const contributors: Contributor[] = updates.map((u) => {
    const bytes = encodeContribution(u.peerId, u.tensors);
    const updateHash = createHash('sha256').update(bytes).digest('hex');
    const manifest = {
      ...{ kind: 'model' as const, updateHash, samples: u.samples, sizeBytes: bytes.length },
      ...{ chunkHashes: [updateHash], baseCommitHash: null },
    };
    byHash.set(updateHash, { manifest, bytes });
    return { peerId: u.peerId, updateHash, samples: u.samples };
  });
  const store: HeldUpdates = { get: (h) => byHash.get(h) };
  return { store, contributors };
}

describe('exclusions named in the commit', () => {
  const model = vector([1, 1]);
  const policy = { merge: 'fedavg' as const, reference: model, maxUpdateNorm: 5 };
  const { store, contributors } = held([
    { peerId: 'peer-a', samples: 1, tensors: vector([2, 1]) },
    { peerId: 'peer-b', samples: 3, tensors: vector([1, 3]) },
    { peerId: 'peer-c', samples: 1, tensors: vector([NaN, 1]) },
    { peerId: 'peer-d', samples: 1, tensors: vector([100, 1]) },
  ]);
  const [a, b, c, d] = contributors;
  const round = { round: 2, method: 'fedavg' as const, kind: 'model' as const };

  it('the aggregator leaves the invalid updates out and names them; every verifier agrees', () => {
    const plan = planMerge(store, { ...round, contributors }, policy, 2);
    expect(plan.contributors).toEqual([a, b]);
    expect(plan.excluded.map(({ peerId, updateHash, reason }) => ({ peerId, updateHash, reason }))).toEqual([
      { peerId: 'peer-c', updateHash: c.updateHash, reason: 'non-finite' },
      { peerId: 'peer-d', updateHash: d.updateHash, reason: 'norm' },
    ]);
    // FedAvg of a (weight 1/4) and b (3/4), by hand: [2·¼ + 1·¾, 1·¼ + 3·¾] = [1.25, 2.5].
    expect(plan.r.ok && [...plan.r.merged.get('w')!.data]).toEqual([1.25, 2.5]);
    const excluded = plan.excluded.map(({ peerId, updateHash, reason }) => ({ peerId, updateHash, reason }));
    const r = recomputeMerge(store, { ...round, contributors: [a, b], excluded }, policy);
    expect(r.ok && r.mergedHash).toBe(
      hashTensors(new Map([['w', { shape: [2], data: Float32Array.of(1.25, 2.5) }]])),
    );
  });

  it('a verifier rejects a commit that includes an invalid update, or names exclusions it does not find', () => {
    const withNaN = recomputeMerge(store, { ...round, contributors: [a, b, c] }, policy);
    expect(withNaN).toMatchObject({ ok: false, reason: 'invalid-update' });
    const honestOut = [{ peerId: 'peer-b', updateHash: b.updateHash, reason: 'norm' as const }];
    expect(recomputeMerge(store, { ...round, contributors: [a], excluded: honestOut }, policy)).toMatchObject(
      {
        ok: false,
        reason: 'exclusions-mismatch',
      },
    );
    const wrongReason = [{ peerId: 'peer-c', updateHash: c.updateHash, reason: 'norm' as const }];
    expect(
      recomputeMerge(store, { ...round, contributors: [a, b], excluded: wrongReason }, policy),
    ).toMatchObject({
      ok: false,
      reason: 'exclusions-mismatch',
    });
  });

  it('signs exclusions only when there are some (older commits keep their hashes)', () => {
    const plain = commit(first);
    expect(commitHash({ ...plain, excluded: [] })).toBe(commitHash(plain));
    const named = {
      ...plain,
      excluded: [{ peerId: 'peer-c', updateHash: sha('x'), reason: 'norm' as const }],
    };
    expect(commitHash(named)).not.toBe(commitHash(plain));
    const ctx = { expectedPrevHash: sha('stats'), members: new Set(members), minPeers: 2 };
    expect(checkCommitStructure({ commit: named, signature: new Uint8Array() }, ctx)).toEqual({
      ok: false,
      reason: 'excluded-contributor',
    });
  });
});

describe('member conduct', () => {
  it('counts each piece of evidence once and ignores a member at the threshold', () => {
    const scores = new MemberScores(3);
    expect(scores.record('x', 'equivocation', 'round 1', 10)).toBe(false);
    expect(scores.record('x', 'equivocation', 'round 1', 11)).toBe(false); // the same evidence again
    expect(scores.record('x', 'out-of-turn', 'round 1', 11)).toBe(false); // shown, no points
    expect(scores.record('x', 'invalid-update', 'hash-1', 12)).toBe(false);
    expect(scores.record('y', 'false-claim', 'at 5', 13)).toBe(false);
    expect(scores.ignored('x')).toBe(false);
    expect(scores.record('x', 'forged-commit', 'round 2', 14)).toBe(true);
    expect(scores.ignored('x')).toBe(true);
    expect(scores.record('x', 'forged-commit', 'round 3', 15)).toBe(false); // already ignored
    expect(scores.snapshot()).toEqual([
      {
        peerId: 'x',
        points: 4,
        offences: { equivocation: 1, 'out-of-turn': 1, 'invalid-update': 1, 'forged-commit': 2 },
        ignoredSinceMs: 14,
      },
      { peerId: 'y', points: 1, offences: { 'false-claim': 1 }, ignoredSinceMs: null },
    ]);
  });

  it('rate-limits per member with a token bucket (fake clock)', () => {
    const limit = new RateLimiter(4, 2);
    const takes = (now: number, n: number) => Array.from({ length: n }, () => limit.take('x', now));
    expect(takes(0, 5)).toEqual([true, true, true, true, false]);
    expect(takes(499, 1)).toEqual([false]); // 0.998 tokens
    expect(takes(500, 2)).toEqual([true, false]);
    expect(limit.take('y', 500)).toBe(true); // per member
    expect(takes(10_000, 5)).toEqual([true, true, true, true, false]); // refilled to the burst, no more
  });

  it('remembers negative results for a while, and only so many', () => {
    const seen = new RecentSet(2, 1000);
    seen.add('a', 0);
    seen.add('b', 0);
    expect([seen.has('a', 999), seen.has('a', 1000)]).toEqual([true, false]);
    seen.add('c', 0);
    seen.add('d', 0);
    expect([seen.has('b', 1), seen.has('c', 1), seen.has('d', 1)]).toEqual([false, true, true]);
  });
});
