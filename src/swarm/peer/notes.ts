import type { Effect } from '../protocol/index.js';
import type { PeerRoundsDeps } from './rounds-deps.js';

/* Verdicts that only need recording: a dropped message, a rejected commit, a stalled round. */

export function noteDrop(d: PeerRoundsDeps, e: Extract<Effect, { type: 'drop' }>, round: number): void {
  d.book.drop(e.reason);
  if (e.reason === 'commit-equivocation') d.conduct.offence(e.from, 'equivocation', `round ${round}`);
  d.log.debug({ reason: e.reason, peer: e.from, round }, 'dropped an update or commit');
}

export function noteStalled(d: PeerRoundsDeps, e: Extract<Effect, { type: 'stalled' }>, got: number): void {
  const { minPeers } = d.init;
  const reason = `round ${e.round} closed with ${got} of the ${minPeers} updates it needs`;
  d.book.setStalled({ sinceMs: e.sinceMs, reason });
  d.log.warn({ round: e.round, updates: got, minPeers }, 'round stalled');
}

/** A commit that failed its checks: counted, and held against its aggregator (forged, unfetchable, ...). */
export function noteRejected(
  d: PeerRoundsDeps,
  c: { round: number; aggregator: string },
  hash: string,
  reason: string,
  detail?: string,
): void {
  d.book.drop(reason);
  d.conduct.rejectedCommit(c, hash, reason, detail);
}
