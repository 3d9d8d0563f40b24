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
