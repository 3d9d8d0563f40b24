import { compareIds } from '../ids.js';
import { SecAggError } from './errors.js';
import { commitment, contextInfo, type RoundContext, type RoundKeys } from './keys.js';
import { maskGraph } from './threshold.js';

/*
 * The roster: the contributors whose signed adverts the round's aggregator collected in set-up and
 * published, in peer-ID order. Everybody masks, deals shares and unmasks against the same roster; a share
 * holder's position (its x) is 1 + its index here.
 */
export interface Advert {
  peerId: string;
  maskPublicKey: Uint8Array;
  channelPublicKey: Uint8Array;
  /** SHA-256 commitment to the self-mask seed, checked when the seed is rebuilt from shares. */
  selfSeedCommitment: string;
}

export interface SecureRound {
  ctx: RoundContext;
  roster: Advert[];
  threshold: number;
  /** Neighbours each peer masks with and deals shares to (all others unless SecAgg+). */
  neighbours: Map<string, string[]>;
}

export interface SecureRoundOptions {
  threshold: number;
  /** SecAgg+ degree k; omitted: complete graph. */
  degree?: number;
  /** Seed of the SecAgg+ graph (e.g. the previous commit hash); needed with `degree`. */
  graphSeed?: Uint8Array;
}

export function createAdvert(ctx: RoundContext, peerId: string, keys: RoundKeys): Advert {
  return {
    peerId,
    maskPublicKey: keys.mask.publicKey,
    channelPublicKey: keys.channel.publicKey,
    selfSeedCommitment: selfSeedCommitment(ctx, peerId, keys.selfSeed),
  };
}

export function selfSeedCommitment(ctx: RoundContext, peerId: string, seed: Uint8Array): string {
  return commitment('swarmd-secagg-self-seed-v1', ctx, [peerId], seed);
}

/** The bytes a contributor signs with its identity key, so nobody can put keys in its name. */
export function advertBytes(ctx: RoundContext, a: Advert): Uint8Array {
  const head = contextInfo('swarmd-secagg-advert-v1', ctx, a.peerId, a.selfSeedCommitment);
  return Buffer.concat([head, a.maskPublicKey, a.channelPublicKey]);
}

export function createSecureRound(
  ctx: RoundContext,
  adverts: readonly Advert[],
  options: SecureRoundOptions,
): SecureRound {
  const roster = [...adverts].sort((a, b) => compareIds(a.peerId, b.peerId));
  for (let i = 1; i < roster.length; i++) {
    if (roster[i].peerId === roster[i - 1].peerId) {
      throw new SecAggError('SECAGG_ROSTER', `peer ${roster[i].peerId} advertised twice in one round`);
    }
  }
  const ids = roster.map((a) => a.peerId);
  const degree = options.degree ?? ids.length - 1;
  if (degree < ids.length - 1 && !options.graphSeed) {
    throw new SecAggError('SECAGG_PARAMS', 'a SecAgg+ graph needs graphSeed (e.g. the previous commit hash)');
  }
  const neighbours = maskGraph(ids, degree, options.graphSeed ?? new Uint8Array(32));
  const holders = Math.min(...ids.map((id) => neighbours.get(id)!.length + 1));
  if (ids.length < options.threshold || holders < options.threshold) {
    throw new SecAggError(
      'SECAGG_TOO_FEW',
      `${ids.length} contributors advertised keys (${holders} share holders each) but the threshold is ` +
        `${options.threshold}: the round cannot be secure; abandon it`,
    );
  }
  const majority = Math.floor(holders / 2) + 1;
  if (!Number.isInteger(options.threshold) || options.threshold < majority) {
    throw new SecAggError(
      'SECAGG_THRESHOLD',
      `threshold ${options.threshold} is below a majority (${majority}) of the ${holders} share holders; ` +
        'choose it with chooseThreshold',
    );
  }
  return { ctx, roster, threshold: options.threshold, neighbours };
}

export function rosterEntry(round: SecureRound, peerId: string): { advert: Advert; x: number } {
  const index = round.roster.findIndex((a) => a.peerId === peerId);
  if (index < 0) throw new SecAggError('SECAGG_ROSTER', `peer ${peerId} is not on this round's roster`);
  return { advert: round.roster[index], x: index + 1 };
}

/** The dealer and its neighbours, sorted: who holds a share of the dealer's secrets. */
export function holdersOf(round: SecureRound, dealer: string): string[] {
  return [dealer, ...round.neighbours.get(dealer)!].sort(compareIds);
}
