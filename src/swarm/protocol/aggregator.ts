import { createHash } from 'node:crypto';
import { InputError } from '../../core/index.js';
import { compareIds } from './ids.js';

/*
 * Leaderless aggregator rotation by rendezvous hashing: every peer ranks the live members of a round by
 * SHA-256(swarmId ‖ 0x00 ‖ round ‖ 0x00 ‖ peerId) and agrees on the order without exchanging a message.
 */

/** Live peers of `round`, deduplicated, in aggregator order: position k commits at attempt k. */
export function aggregatorOrder(swarmId: string, round: number, livePeerIds: readonly string[]): string[] {
  if (!Number.isSafeInteger(round) || round < 0) {
    throw new InputError('ROUND_INVALID', `round must be a non-negative integer, got ${round}`);
  }
  const ranked = [...new Set(livePeerIds)].map((peerId) => ({
    peerId,
    key: rendezvousKey(swarmId, round, peerId),
  }));
  ranked.sort((a, b) => compareIds(a.key, b.key) || compareIds(a.peerId, b.peerId));
  return ranked.map((r) => r.peerId);
}

/** The peer that commits at `attempt` (0 first); wraps around so a round never runs out of aggregators. */
export function aggregatorForAttempt(order: readonly string[], attempt: number): string | undefined {
  if (order.length === 0 || attempt < 0 || !Number.isInteger(attempt)) return undefined;
  return order[attempt % order.length];
}

export function rendezvousKey(swarmId: string, round: number, peerId: string): string {
  return createHash('sha256').update(`${swarmId}\0${round}\0${peerId}`, 'utf8').digest('hex');
}
