import { aggregatorOrder } from './aggregator.js';
import { commitHash, type RoundCommit } from './commit.js';
import type { Effect, RoundState } from './round-types.js';
import type { SignedCommit } from './wire.js';

/*
 * Whose turn it is to commit, as this peer can check it. Attempt k of a round runs from the close of
 * collection + k·commitTimeoutMs and belongs to the k-th peer in the rendezvous order; a commit is accepted
 * from the peer whose turn it is or from one earlier in the order (a slow aggregator may still finish), never
 * from one whose turn has not come. Each peer measures from its own close, so the tolerance covers the
 * difference between two peers' close times (clocks are never compared across peers).
 */

/** Default: half a commit timeout. */
export function turnToleranceMs(cfg: { commitTimeoutMs: number; turnToleranceMs?: number }): number {
  return cfg.turnToleranceMs ?? cfg.commitTimeoutMs / 2;
}

export type TurnCheck = { ok: true } | { ok: false; position: number; allowed: number; detail: string };

/**
 * Checks that `aggregator` may commit this peer's current round at `now`. Before this peer closed collection
 * only the first in the order over the live members may (another peer closed earlier); after, the order
 * frozen at close and the attempts elapsed decide.
 */
export function checkTurn(state: RoundState, aggregator: string, now: number): TurnCheck {
  const { cfg } = state;
  const closed = state.closedAt !== null;
  const order = closed ? state.aggregators : aggregatorOrder(cfg.swarmId, state.round, [...state.live]);
  // A member this peer does not count live gets a turn only after every live one had theirs: it cannot
  // rank itself first by commit alone.
  const ranked = order.indexOf(aggregator);
  const position = ranked >= 0 ? ranked : order.length;
  const allowed = closed
    ? Math.floor((now - state.closedAt! + turnToleranceMs(cfg)) / cfg.commitTimeoutMs)
    : 0;
  if (position <= allowed) return { ok: true };
  const since = closed
    ? `${now - state.closedAt!} ms after this peer closed the round`
    : 'before this peer closed the round';
  return {
    ok: false,
    position,
    allowed,
    detail: `aggregator ${position + 1} in order of ${order.length} committed ${since}, when turns up to ${allowed + 1} were open`,
  };
}

export type CommitScreen =
  { ok: true } | { ok: false; reason: 'commit-equivocation' | 'out-of-turn'; detail: string };

/**
 * The cheap checks on a commit of the current round, before anything is fetched or merged: one commit per
 * aggregator per round (a second, different one is equivocation), and only in its turn (own commits pass;
 * one that comes early is held until its turn, and rejected if the round is committed before).
 */
export function screenCommit(state: RoundState, c: RoundCommit, now: number): CommitScreen {
  if (c.round !== state.round || state.phase === 'applying') return { ok: true };
  const first = state.commitsBy.get(c.aggregator);
  if (first !== undefined && first !== commitHash(c)) {
    return { ok: false, reason: 'commit-equivocation', detail: `a second commit of round ${c.round}` };
  }
  // Own commits were issued in this peer's turn; a non-member's fails the structure check.
  if (c.aggregator === state.cfg.self || !state.members.has(c.aggregator)) return { ok: true };
  const turn = checkTurn(state, c.aggregator, now);
  return turn.ok ? turn : { ok: false, reason: 'out-of-turn', detail: turn.detail };
}

/** Holds a commit that came before its turn (the first one per aggregator; screenCommit saw to that). */
export function holdCommit(state: RoundState, signed: SignedCommit): RoundState {
  const held = new Map(state.heldCommits).set(signed.commit.aggregator, signed);
  return { ...state, heldCommits: held };
}

/** Held commits whose turn has come, released for a recheck (none while a commit waits for its votes). */
export function releaseDue(state: RoundState, now: number, effects: Effect[]): RoundState {
  if (state.heldCommits.size === 0 || state.phase === 'applying') return state;
  const held = new Map(state.heldCommits);
  for (const [aggregator, signed] of held) {
    if (!screenCommit(state, signed.commit, now).ok) continue;
    held.delete(aggregator);
    effects.push({ type: 'recheck-commit', signed });
  }
  return held.size === state.heldCommits.size ? state : { ...state, heldCommits: held };
}

/** The round was committed by another: the commits still held never had their turn. */
export function rejectHeld(state: RoundState): Effect[] {
  return [...state.heldCommits.values()].map(({ commit: c }) => ({
    type: 'reject-commit',
    reason: 'out-of-turn',
    round: c.round,
    aggregator: c.aggregator,
    hash: commitHash(c),
    detail: 'its turn had not come when the round was committed',
  }));
}
