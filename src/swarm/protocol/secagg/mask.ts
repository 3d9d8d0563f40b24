import { addMaskInto } from './prg.js';
import { pairSeed, pairSign, type RoundKeys } from './keys.js';
import { rosterEntry, type SecureRound } from './roster.js';

/** masked = encoded + PRG(selfSeed) + Σ_neighbours ±PRG(pairSeed), mod 2^52. The only vector a site sends. */
export function maskUpdate(
  round: SecureRound,
  me: string,
  keys: RoundKeys,
  encoded: Float64Array,
): Float64Array {
  rosterEntry(round, me);
  const masked = Float64Array.from(encoded);
  addMaskInto(masked, keys.selfSeed, 1);
  for (const other of round.neighbours.get(me)!) {
    const { advert } = rosterEntry(round, other);
    const seed = pairSeed(round.ctx, me, keys.mask, other, advert.maskPublicKey);
    addMaskInto(masked, seed, pairSign(me, other));
  }
  return masked;
}

/**
 * What a sender reveals about a member that never dealt its shares (so its mask key cannot be rebuilt): its
 * own pairwise seed with that member, which is exactly what rebuilding the key would have exposed. Its self
 * mask still hides its update. Only graph neighbours of `me` share a seed with it.
 */
export function revealPairSeeds(
  round: SecureRound,
  me: string,
  keys: RoundKeys,
  silent: readonly string[],
): { peer: string; seed: Uint8Array }[] {
  const mine = new Set(round.neighbours.get(me) ?? []);
  return silent
    .filter((peer) => mine.has(peer))
    .map((peer) => ({
      peer,
      seed: pairSeed(round.ctx, me, keys.mask, peer, rosterEntry(round, peer).advert.maskPublicKey),
    }));
}
