/**
 * Secure aggregation (SecAgg, Bonawitz et al. 2017 with its §4 consistency round; SecAgg+ graph, Bell et al.
 * 2020), the pure arithmetic and rules:
 * fixed-point encoding mod 2^52, pairwise and self masks from X25519 + HKDF + AES-CTR, Shamir shares over
 * GF(2^521 − 1) sealed pairwise with AES-256-GCM, and unmasking that every peer runs identically from
 * public inputs. Keys and randomness come in as parameters; nothing here does I/O.
 *
 * A round, in order (bodies in messages.ts): each contributor generateRoundKeys → createAdvert, signs
 * advertBytes, publishes the advert; the round's first advertiser publishes the roster (every advert it
 * held, ≥ t from the member list) → everyone createSecureRound; each contributor dealShares and publishes its envelopes and commitments;
 * each holder openShares (a bad dealer is excluded before masking); each contributor encodeUpdate →
 * maskUpdate → publishes residuesToBytes as its update; the aggregator in turn signs and publishes the
 * sender set; each sender checks it (checkUnmaskRequest: ≥ max(t, minPeers) senders, no site whose masked
 * vector it holds called dropped), signs it (the consistency round) and revealShares once it holds
 * consistencyQuorum signatures on that same set; collusionProblems says what c colluders could still do;
 * every peer unmask → decodeSum → the merged model, whose hash the aggregator's commit must match.
 */
export { SecAggError } from './errors.js';
export {
  DEFAULT_FIXED_POINT,
  MODULUS_BITS,
  addInto,
  decodeSum,
  decodeTotal,
  encodeUpdate,
  fixedPointRange,
  residuesFromBytes,
  residueBytes,
  residuesToBytes,
  statisticsFixedPoint,
} from './fixed.js';
export type { DecodedSum, FixedPointParams, FixedPointRange } from './fixed.js';
export { generateRoundKeys, pairSeed, pairSign, x25519KeyPair } from './keys.js';
export { addMaskInto } from './prg.js';
export type { KeyPair, RandomBytes, RoundContext, RoundKeys } from './keys.js';
export { FIELD_PRIME, combineShares, splitSecret } from './shamir.js';
export type { Share } from './shamir.js';
export { chooseGraphDegree, chooseThreshold, maskGraph, shareHolders } from './threshold.js';
export { collusionProblems, defaultMaxColluders, minSenders } from './collusion.js';
export type { CollusionBounds } from './collusion.js';
export {
  checkUnmaskRequest,
  consistencyBytes,
  consistencyQuorum,
  countConsistent,
  senderSetHash,
  unmaskRequestBytes,
} from './consistency.js';
export type { RequestCheck, RequestVerdict, SenderSet } from './consistency.js';
export type { ThresholdChoice } from './threshold.js';
export { advertBytes, createAdvert, createSecureRound, holdersOf } from './roster.js';
export type { Advert, SecureRound, SecureRoundOptions } from './roster.js';
export { dealShares, openShares, revealShares, shareCommitment } from './shares.js';
export type { DealtShares, HeldShares, RevealedShare, ShareCommitments, ShareKind } from './shares.js';
export { maskUpdate, revealPairSeeds } from './mask.js';
export {
  decodeMaskedPayload,
  encodeMaskedPayload,
  flattenTensors,
  rosterHash,
  sameLayout,
  unflattenMean,
} from './payload.js';
export type { MaskedPayload, TensorLayout } from './payload.js';
export { checkRevealed, unmask, wrongLengthSenders } from './unmask.js';
export type { UnmaskInput, UnmaskResult } from './unmask.js';
export {
  SecAggAdvertBodySchema,
  SecAggConsistencyBodySchema,
  SecAggMessageBodySchema,
  SecAggRevealBodySchema,
  SecAggRosterBodySchema,
  SecAggSharesBodySchema,
  SecAggUnmaskRequestBodySchema,
} from './messages.js';
export type {
  SecAggAdvertBody,
  SecAggConsistencyBody,
  SecAggMessageBody,
  SecAggRevealBody,
  SecAggRosterBody,
  SecAggSharesBody,
  SecAggUnmaskRequestBody,
} from './messages.js';
