import { InputError } from '../../core/index.js';
import { aggregatorForAttempt, aggregatorOrder } from './aggregator.js';
import {
  checkCommit,
  checkCommitStructure,
  commitHash,
  type CommitRejection,
  namedUpdates,
  sortContributors,
  type Contributor,
  type SignedCommit,
} from './commit.js';
import type { MergeMethod } from './merge.js';
import { holdCommit, rejectHeld, releaseDue, screenCommit } from './turn.js';
import type { RoundPhase } from './wire.js';
import type {
  DropReason,
  Effect,
  RoundConfig,
  RoundEvent,
  RoundState,
  StepResult,
  Update,
} from './round-types.js';

/*
 * The round state machine, pure: step(state, event, now) → { state, effects }. The host performs the
 * effects (train, publish, merge, fetch, apply) and feeds back what happened as events; time only moves
 * through `now`. A round: idle (waiting for quorum) → training → collecting → committing (collection
 * closed, waiting for a commit; this peer merges when its turn in the aggregator order comes) → applying.
 * A round closed below quorum is stalled until enough updates or a valid commit arrive.
 */
/** Round 0 merges feature statistics (sum) so every site standardises alike; model rounds follow. */
export const STATS_ROUND = 0;

/** What round r merges and how: the statistics round sums, model rounds use the swarm's merge method. */
export function roundKind(
  round: number,
  merge: MergeMethod = 'fedavg',
): { method: MergeMethod; kind: 'stats' | 'model' } {
  return round === STATS_ROUND ? { method: 'sum', kind: 'stats' } : { method: merge, kind: 'model' };
}

export function initialRoundState(
  cfg: RoundConfig,
  lastCommit: { round: number; hash: string } | null,
): RoundState {
  checkConfig(cfg);
  const round = lastCommit === null ? STATS_ROUND : lastCommit.round + 1;
  const base = { cfg, members: new Set(cfg.members), live: new Set([cfg.self]) };
  return { ...base, ...freshRound(round, lastCommit?.hash ?? null, new Map()) };
}

export function step(state: RoundState, event: RoundEvent, now: number): StepResult {
  switch (event.type) {
    case 'tick':
      return advance(state, now, []);
    case 'peer-seen':
      if (!state.members.has(event.peerId) || state.live.has(event.peerId)) return advance(state, now, []);
      return advance({ ...state, live: new Set([...state.live, event.peerId]) }, now, []);
    case 'peer-lost': {
      if (event.peerId === state.cfg.self) return { state, effects: [] };
      const live = new Set(state.live);
      live.delete(event.peerId);
      return advance({ ...state, live }, now, []);
    }
    case 'local-update-ready':
      return onUpdate(state, { ...event, from: state.cfg.self }, now);
    case 'update-received':
      return onUpdate(state, event, now);
    case 'commit-received':
      return onCommit(state, event.signed, event.recomputedMergedHash, now);
    case 'own-commit-signed':
      return onOwnCommit(state, event.signed, event.mergedHash, now);
    case 'commit-applied':
      if (event.round < state.round) return { state, effects: [] };
      // Updates that came early belong to the round that starts now, unless the peer jumped further.
      return advance(
        {
          ...state,
          ...freshRound(event.round + 1, event.hash, event.round === state.round ? state.early : new Map()),
        },
        now,
        rejectHeld(state),
      );
  }
}

function onUpdate(
  state: RoundState,
  u: { from: string; round: number; updateHash: string; samples: number },
  now: number,
): StepResult {
  const drop = (reason: DropReason): StepResult => ({
    state,
    effects: [{ type: 'drop', reason, from: u.from }],
  });
  if (!state.members.has(u.from)) return drop('non-member');
  if (u.round < state.round) return drop('stale-round');
  if (u.round > state.round + 1) return drop('future-round');
  const isNext = u.round === state.round + 1;
  const known = (isNext ? state.early : state.updates).get(u.from);
  if (known !== undefined) {
    return known.updateHash === u.updateHash ? { state, effects: [] } : drop('equivocation');
  }
  const late = !isNext && !isCollecting(state.phase);
  const update: Update = { updateHash: u.updateHash, samples: u.samples, late };
  const entry = new Map(isNext ? state.early : state.updates).set(u.from, update);
  if (isNext) return { state: { ...state, early: entry }, effects: [] };
  const effects: Effect[] = [];
  if (u.from === state.cfg.self && !late) effects.push({ type: 'publish-update', round: u.round });
  if (late) effects.push({ type: 'drop', reason: 'late', from: u.from });
  let next: RoundState = { ...state, updates: entry };
  if (u.from === state.cfg.self && state.phase === 'training') next = { ...next, phase: 'collecting' };
  if (state.phase === 'stalled' && counted(next).length >= state.cfg.minPeers) {
    // Quorum after all. The turn clock and the aggregator order stay those of the first close: restarting
    // them here would give this peer attempt 0 while peers that never stalled are at a later attempt, and
    // two peers could commit the round.
    next = { ...next, phase: 'committing' };
  }
  return advance(next, now, effects);
}

function onCommit(
  state: RoundState,
  signed: SignedCommit,
  recomputed: string | null,
  now: number,
): StepResult {
  const c = signed.commit;
  if (c.round < state.round) {
    return { state, effects: [{ type: 'drop', reason: 'stale-round', from: c.aggregator }] };
  }
  if (c.round > state.round) {
    return { state, effects: [{ type: 'catch-up', fromRound: state.round, from: c.aggregator }] };
  }
  if (state.phase === 'applying') {
    return { state, effects: [{ type: 'drop', reason: 'duplicate-commit', from: c.aggregator }] };
  }
  const screen = screenCommit(state, c, now);
  if (!screen.ok && screen.reason === 'commit-equivocation') {
    return { state, effects: [{ type: 'drop', reason: 'commit-equivocation', from: c.aggregator }] };
  }
  const hash = commitHash(c);
  const seen: RoundState = { ...state, commitsBy: new Map(state.commitsBy).set(c.aggregator, hash) };
  const reject = (reason: CommitRejection, detail?: string): StepResult => {
    const isPending = seen.pending !== null && commitHash(seen.pending.signed.commit) === hash;
    const next = isPending ? { ...seen, pending: null } : seen;
    const { round, aggregator } = c;
    const effect: Effect = { type: 'reject-commit', reason, round, aggregator, hash, detail };
    return advance(next, now, [effect]);
  };
  if (!screen.ok) {
    const early: Effect = { type: 'drop', reason: 'early-commit', from: c.aggregator };
    return { state: holdCommit(seen, signed), effects: [early] };
  }
  const { cfg } = state;
  const { method } = roundKind(state.round, cfg.merge);
  const ctx = {
    ...cfg,
    method,
    members: state.members,
    round: state.round,
    expectedPrevHash: state.prevHash,
  };
  const check =
    recomputed === null
      ? checkCommitStructure(signed, ctx)
      : checkCommit(signed, { ...ctx, recomputedMergedHash: recomputed });
  if (!check.ok) return reject(check.reason, check.detail);
  if (recomputed === null) {
    const fetches: Effect[] = namedUpdates(c)
      .filter((x) => state.updates.get(x.peerId)?.updateHash !== x.updateHash)
      .map((x) => ({ type: 'fetch-update', updateHash: x.updateHash, from: c.aggregator }));
    return { state: { ...seen, pending: { signed, since: now } }, effects: fetches };
  }
  return {
    state: { ...seen, phase: 'applying', pending: null },
    effects: [{ type: 'apply-commit', signed }],
  };
}

/**
 * Commit eligibility: only while this round is still committing and no other commit of it is waiting for
 * updates (within a commit timeout) or being applied — publishing then would put two valid commits of one
 * round on the wire.
 */
function onOwnCommit(state: RoundState, signed: SignedCommit, mergedHash: string, now: number): StepResult {
  const round = signed.commit.round;
  if (round !== state.round || state.phase !== 'committing' || waitsOnPending(state, now)) {
    return { state, effects: [{ type: 'withhold-commit', round }] };
  }
  const r = onCommit(state, signed, mergedHash, now);
  const applying = r.state.phase === 'applying';
  return applying ? { ...r, effects: [{ type: 'publish-commit', signed }, ...r.effects] } : r;
}

/** Moves the round on as far as the clock and what has arrived allow. */
function advance(state: RoundState, now: number, effects: Effect[]): StepResult {
  let s = state;
  const { cfg } = s;
  if (s.phase === 'idle' && s.live.size >= cfg.minPeers) {
    s = { ...s, phase: 'training', deadline: now + cfg.roundDeadlineMs };
    effects.push({ type: 'start-training', round: s.round });
  }
  if ((s.phase === 'training' || s.phase === 'collecting') && shouldClose(s, now)) {
    const closedAt = Math.min(now, s.deadline!);
    if (counted(s).length >= cfg.minPeers) s = close(s, 'committing', closedAt);
    else {
      s = close(s, 'stalled', closedAt);
      effects.push({ type: 'stalled', round: s.round, sinceMs: closedAt });
    }
  }
  if (s.phase === 'committing') s = maybeAggregate(s, now, effects);
  return { state: releaseDue(s, now, effects), effects };
}

function close(s: RoundState, phase: 'committing' | 'stalled', closedAt: number): RoundState {
  return { ...s, phase, closedAt, aggregators: aggregatorOrder(s.cfg.swarmId, s.round, [...s.live]) };
}

/** At the deadline, or early once every live member (at least a quorum) has contributed. */
function shouldClose(s: RoundState, now: number): boolean {
  if (now >= s.deadline!) return true;
  const got = counted(s);
  return got.length >= s.cfg.minPeers && [...s.live].every((p) => s.updates.has(p));
}

/** Issues merge-and-commit when this peer holds attempt k = ⌊(now − closedAt) / commitTimeoutMs⌋. */
function maybeAggregate(s: RoundState, now: number, effects: Effect[]): RoundState {
  const { cfg } = s;
  if (waitsOnPending(s, now)) return s;
  const attempt = Math.floor((now - s.closedAt!) / cfg.commitTimeoutMs);
  if (s.issuedAttempt !== null && attempt <= s.issuedAttempt) return s;
  if (aggregatorForAttempt(s.aggregators, attempt) !== cfg.self) return s;
  effects.push({ type: 'merge-and-commit', round: s.round, attempt, contributors: counted(s) });
  return { ...s, issuedAttempt: attempt };
}

/**
 * A commit waiting for its updates holds the round for one commit timeout; after that it has had its turn:
 * one whose updates never come (its aggregator went mute) blocks neither the next turn nor its commit.
 */
function waitsOnPending(s: RoundState, now: number): boolean {
  return s.pending !== null && now < s.pending.since + s.cfg.commitTimeoutMs;
}

/** Contributions this peer merges: those that arrived while collection was open, in peer-ID order. */
export function counted(s: RoundState): Contributor[] {
  const on = [...s.updates].filter(([, u]) => !u.late);
  return sortContributors(
    on.map(([peerId, u]) => ({ peerId, updateHash: u.updateHash, samples: u.samples })),
  );
}

/** Phases in which an update of the current round still counts (stalled: the round is still open). */
function isCollecting(phase: RoundPhase): boolean {
  return phase === 'idle' || phase === 'training' || phase === 'collecting' || phase === 'stalled';
}

function freshRound(round: number, prevHash: string | null, early: ReadonlyMap<string, Update>) {
  return {
    phase: 'idle' as RoundPhase,
    round,
    prevHash,
    deadline: null,
    closedAt: null,
    aggregators: [],
    updates: early,
    early: new Map<string, Update>(),
    pending: null,
    issuedAttempt: null,
    commitsBy: new Map<string, string>(),
    heldCommits: new Map<string, SignedCommit>(),
  };
}

function checkConfig(cfg: RoundConfig): void {
  const bad = (why: string) => new InputError('ROUND_CONFIG_INVALID', `swarm round config: ${why}`);
  if (!cfg.members.includes(cfg.self)) throw bad(`this peer ${cfg.self} is not in the member list`);
  if (!Number.isInteger(cfg.minPeers) || cfg.minPeers < 1 || cfg.minPeers > cfg.members.length) {
    throw bad(`minPeers must be between 1 and the ${cfg.members.length} members, got ${cfg.minPeers}`);
  }
  if (!(cfg.roundDeadlineMs > 0) || !(cfg.commitTimeoutMs > 0)) {
    throw bad('roundDeadlineMs and commitTimeoutMs must be > 0');
  }
}
