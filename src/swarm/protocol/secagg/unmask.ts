import { compareIds } from '../ids.js';
import { SecAggError } from './errors.js';
import { addInto } from './fixed.js';
import { pairSeed, pairSign, x25519KeyPair } from './keys.js';
import { addMaskInto } from './prg.js';
import { holdersOf, rosterEntry, selfSeedCommitment, type SecureRound } from './roster.js';
import { bigintToBytes, bytesToBigint, combineShares, type Share } from './shamir.js';
import { shareCommitment, type RevealedShare, type ShareCommitments, type ShareKind } from './shares.js';

/*
 * Unmasking, run identically by every peer from public inputs (masked vectors, revealed shares, the
 * dealers' commitments), so every peer gets the same sum and can check the aggregator's merged hash.
 */
export interface UnmaskInput {
  /** Sender → its masked vector (the senders are the round's contributors). */
  masked: ReadonlyMap<string, Float64Array>;
  /** Revealer → the shares it revealed. */
  reveals: ReadonlyMap<string, readonly RevealedShare[]>;
  /** Dealer → holder → commitments, from the dealers' share messages. */
  commitments: ReadonlyMap<string, ReadonlyMap<string, ShareCommitments>>;
  /** Residues per masked vector (model size + 1); residuesFromBytes already refused other lengths. */
  elements: number;
  /** Non-senders that never dealt shares: their pairwise masks come from `pairSeeds`, not a rebuilt key. */
  silent?: ReadonlySet<string>;
  /** Sender → silent member → the pairwise seed the sender revealed for it. */
  pairSeeds?: ReadonlyMap<string, ReadonlyMap<string, Uint8Array>>;
}

export interface UnmaskResult {
  /** Σ encoded updates of the senders, mod 2^52: decode with decodeSum. */
  sum: Float64Array;
  contributors: string[];
  dropped: string[];
  /** Revealers with a share that does not match its commitment: ignored, to be scored by name. */
  rejectedRevealers: string[];
}

export function unmask(round: SecureRound, input: UnmaskInput): UnmaskResult {
  const contributors = [...input.masked.keys()].sort(compareIds);
  contributors.forEach((id) => rosterEntry(round, id));
  if (contributors.length < round.threshold) {
    throw new SecAggError(
      'SECAGG_TOO_FEW',
      `${contributors.length} masked vectors, fewer than the threshold ${round.threshold}: abandon the round`,
    );
  }
  const wrongLength = wrongLengthSenders(input.masked, input.elements);
  if (wrongLength.length > 0) {
    throw new SecAggError(
      'SECAGG_LENGTH',
      `masked vectors of ${wrongLength.join(', ')} do not have ${input.elements} residues; drop them when ` +
        'they arrive (residuesFromBytes), before the unmask request',
    );
  }
  const sent = new Set(contributors);
  const dropped = round.roster.map((a) => a.peerId).filter((id) => !sent.has(id));
  const rejectedRevealers = findRejectedRevealers(round, input);
  const sum = new Float64Array(input.elements);
  for (const id of contributors) addInto(sum, input.masked.get(id)!);
  for (const id of contributors) {
    addMaskInto(sum, rebuildSelfSeed(round, input, rejectedRevealers, id), -1);
  }
  for (const d of dropped) {
    const seedWith = droppedSeeds(round, input, rejectedRevealers, d);
    for (const v of round.neighbours.get(d)!.filter((n) => sent.has(n))) {
      addMaskInto(sum, seedWith(v), pairSign(v, d) === 1 ? -1 : 1); // take out what v added for the pair
    }
  }
  return { sum, contributors, dropped, rejectedRevealers: [...rejectedRevealers].sort(compareIds) };
}

/**
 * Throws SECAGG_TOO_FEW (as unmask would) while some secret the unmasking needs lacks t valid revealed shares:
 * a check of hashes only, so a peer waiting for reveals touches no vector until the sum can be unmasked.
 */
export function checkRevealed(
  round: SecureRound,
  senders: readonly string[],
  input: Omit<UnmaskInput, 'masked' | 'elements'>,
): void {
  const full = { ...input, masked: new Map<string, Float64Array>(), elements: 0 };
  const rejected = findRejectedRevealers(round, full);
  const sent = new Set(senders);
  for (const { peerId: d } of round.roster) {
    if (sent.has(d)) validShares(round, full, rejected, d, 'seed');
    else if (!input.silent?.has(d)) validShares(round, full, rejected, d, 'key');
    else
      round.neighbours
        .get(d)!
        .filter((v) => sent.has(v))
        .forEach(droppedSeeds(round, full, rejected, d));
  }
}

/** The pairwise seeds of a dropped member with each sender: from its rebuilt key, or revealed if it was silent. */
function droppedSeeds(
  round: SecureRound,
  input: UnmaskInput,
  rejected: ReadonlySet<string>,
  d: string,
): (v: string) => Uint8Array {
  if (input.silent?.has(d)) {
    return (v) => {
      const seed = input.pairSeeds?.get(v)?.get(d);
      if (seed === undefined) {
        throw new SecAggError('SECAGG_TOO_FEW', `sender ${v} has not revealed its pairwise seed with ${d}`);
      }
      return seed;
    };
  }
  const maskPair = rebuildMaskKey(round, input, rejected, d);
  return (v) => pairSeed(round.ctx, d, maskPair, v, rosterEntry(round, v).advert.maskPublicKey);
}

/** Senders whose masked vector does not have `elements` residues: exclude them before unmasking. */
export function wrongLengthSenders(masked: ReadonlyMap<string, Float64Array>, elements: number): string[] {
  return [...masked.entries()]
    .filter(([, v]) => v.length !== elements)
    .map(([id]) => id)
    .sort(compareIds);
}

/** Revealers that revealed a share unlike the dealer's commitment to it, or are not on the roster. */
function findRejectedRevealers(round: SecureRound, input: UnmaskInput): Set<string> {
  const rejected = new Set<string>();
  for (const [revealer, shares] of input.reveals) {
    const onRoster = round.roster.some((a) => a.peerId === revealer);
    const committed = (s: RevealedShare) => input.commitments.get(s.dealer)?.get(revealer) !== undefined;
    if (!onRoster || shares.some((s) => committed(s) && !shareMatches(round, input, revealer, s))) {
      rejected.add(revealer);
    }
  }
  return rejected;
}

function shareMatches(round: SecureRound, input: UnmaskInput, revealer: string, s: RevealedShare): boolean {
  const expected = input.commitments.get(s.dealer)?.get(revealer)?.[s.kind];
  return expected !== undefined && expected === shareCommitment(round, s.kind, s.dealer, revealer, s.y);
}

/** The first t valid shares of `dealer`'s secret of `kind`, by holder position; SECAGG_TOO_FEW if fewer. */
function validShares(
  round: SecureRound,
  input: UnmaskInput,
  rejected: ReadonlySet<string>,
  dealer: string,
  kind: ShareKind,
): Share[] {
  const shares: Share[] = [];
  for (const holder of holdersOf(round, dealer)) {
    if (rejected.has(holder)) continue;
    const s = input.reveals.get(holder)?.find((r) => r.dealer === dealer && r.kind === kind);
    if (s && shareMatches(round, input, holder, s))
      shares.push({ x: rosterEntry(round, holder).x, y: bytesToBigint(s.y) });
  }
  if (shares.length < round.threshold) {
    throw new SecAggError(
      'SECAGG_TOO_FEW',
      `${shares.length} valid ${kind} shares of ${dealer}, the threshold is ${round.threshold}: the round ` +
        'cannot be unmasked; abandon it',
    );
  }
  return shares.slice(0, round.threshold);
}

function rebuildSelfSeed(
  round: SecureRound,
  input: UnmaskInput,
  rejected: ReadonlySet<string>,
  dealer: string,
) {
  const seed = secretBytes(combineShares(validShares(round, input, rejected, dealer, 'seed')), dealer);
  if (selfSeedCommitment(round.ctx, dealer, seed) !== rosterEntry(round, dealer).advert.selfSeedCommitment) {
    throw inconsistentDealer(dealer);
  }
  return seed;
}

function rebuildMaskKey(
  round: SecureRound,
  input: UnmaskInput,
  rejected: ReadonlySet<string>,
  dealer: string,
) {
  const secretKey = secretBytes(combineShares(validShares(round, input, rejected, dealer, 'key')), dealer);
  const expected = Buffer.from(rosterEntry(round, dealer).advert.maskPublicKey);
  const pair = x25519KeyPair(secretKey);
  if (!expected.equals(pair.publicKey)) throw inconsistentDealer(dealer);
  return pair;
}

function secretBytes(v: bigint, dealer: string): Uint8Array {
  if (v >= 1n << 256n) throw inconsistentDealer(dealer);
  return bigintToBytes(v, 32);
}

function inconsistentDealer(dealer: string): SecAggError {
  return new SecAggError(
    'SECAGG_COMMITMENT',
    `the shares of ${dealer} rebuild a secret that differs from its commitment: it dealt inconsistent ` +
      'shares; the round cannot be unmasked, abandon it and score the dealer',
  );
}
