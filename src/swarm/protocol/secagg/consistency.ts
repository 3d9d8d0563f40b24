import { createHash } from 'node:crypto';
import { compareIds } from '../ids.js';
import { contextInfo, type RoundContext } from './keys.js';
import { rosterEntry, type SecureRound } from './roster.js';

/*
 * The consistency round (Bonawitz et al. 2017 §4, active adversary). The aggregator in turn signs the sender
 * set it fixed; every sender checks the request, signs the same set's hash and publishes that signature; a
 * sender reveals its shares only once it holds `quorum` signatures of distinct senders on the set it signed.
 * Honest senders sign one set per round, so two different sets cannot both reach the quorum (it exceeds
 * (n + c) / 2 of the roster's n, c colluders signing both): no dealer gets its seed shares revealed by one
 * set and its key shares by another, which would unmask it.
 */
export interface SenderSet {
  senders: readonly { peerId: string; maskedHash: string }[];
  /** Roster members that never dealt shares: the senders reveal their pairwise seeds with them instead. */
  silent: readonly string[];
}

/** SHA-256 over the roster, the senders with their masked vectors' hashes and the silent members, sorted. */
export function senderSetHash(ctx: RoundContext, rosterHash: string, set: SenderSet): string {
  const h = createHash('sha256').update(contextInfo('swarmd-secagg-sender-set-v1', ctx, rosterHash));
  for (const s of [...set.senders].sort((a, b) => compareIds(a.peerId, b.peerId))) {
    h.update(`|s:${s.peerId}:${s.maskedHash}`);
  }
  for (const id of [...set.silent].sort(compareIds)) h.update(`|q:${id}`);
  return h.digest('hex');
}

/** What the aggregator signs: its request to unmask this sender set. */
export function unmaskRequestBytes(ctx: RoundContext, setHash: string): Uint8Array {
  return contextInfo('swarmd-secagg-unmask-request-v1', ctx, setHash);
}

/** What each sender signs in the consistency round: it was sent this set, and reveals for it alone. */
export function consistencyBytes(ctx: RoundContext, setHash: string): Uint8Array {
  return contextInfo('swarmd-secagg-consistency-v1', ctx, setHash);
}

/** Signatures a sender needs on its set before it reveals: t, and a strict majority of roster and colluders. */
export function consistencyQuorum(round: SecureRound, maxColluders: number): number {
  return Math.max(round.threshold, Math.floor((round.roster.length + maxColluders) / 2) + 1);
}

export interface RequestCheck {
  /** Fewest senders anything is revealed for: max(t, minPeers). */
  minSenders: number;
  /** Roster members whose masked vector of this roster this peer holds and would itself let in. */
  heldValid: ReadonlySet<string>;
  /** The set this peer signed already this round, if any. */
  signed: string | null;
}

export type RequestVerdict = { ok: true; setHash: string } | { ok: false; detail: string };

/**
 * Whether an honest sender may sign and (given the quorum) reveal for this request: every name on the roster
 * and named once, at least minSenders senders, no member called dropped or silent whose valid masked vector
 * this peer holds (that is how equivocation or a two-sender request would single one site out), and the
 * same set as any it signed before.
 */
export function checkUnmaskRequest(
  round: SecureRound,
  rosterHash: string,
  set: SenderSet,
  check: RequestCheck,
): RequestVerdict {
  const ids = set.senders.map((s) => s.peerId);
  const named = [...ids, ...set.silent];
  const off = named.filter((id) => !round.roster.some((a) => a.peerId === id));
  if (off.length > 0) return { ok: false, detail: `names ${off.join(', ')}, not on the roster` };
  if (new Set(named).size !== named.length) return { ok: false, detail: 'names a member twice' };
  if (ids.length < check.minSenders) {
    return {
      ok: false,
      detail: `${ids.length} senders, fewer than ${check.minSenders} (max of the threshold and minPeers)`,
    };
  }
  const sent = new Set(ids);
  const hidden = [...check.heldValid].filter((id) => !sent.has(id)).sort(compareIds);
  if (hidden.length > 0) {
    return { ok: false, detail: `calls ${hidden.join(', ')} dropped, whose masked vector this peer holds` };
  }
  const setHash = senderSetHash(round.ctx, rosterHash, set);
  if (check.signed !== null && check.signed !== setHash) {
    return { ok: false, detail: 'differs from the sender set this peer signed' };
  }
  ids.forEach((id) => rosterEntry(round, id));
  return { ok: true, setHash };
}

/** Distinct senders of `set` whose consistency signature on `setHash` this peer holds. */
export function countConsistent(
  set: SenderSet,
  setHash: string,
  signedBy: ReadonlyMap<string, string>,
): number {
  return set.senders.filter((s) => signedBy.get(s.peerId) === setHash).length;
}
