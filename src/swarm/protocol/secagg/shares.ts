import { createCipheriv, createDecipheriv } from 'node:crypto';
import { SecAggError } from './errors.js';
import { channelKey, commitment, contextInfo, type RandomBytes, type RoundKeys } from './keys.js';
import { holdersOf, rosterEntry, type SecureRound } from './roster.js';
import { SHARE_VALUE_BYTES, bigintToBytes, bytesToBigint, splitSecret, type Share } from './shamir.js';

/*
 * Share distribution. A dealer splits its self-mask seed and its mask secret key among its holders and
 * sends each holder one envelope: both share values (66 + 66 bytes) under AES-256-GCM with the pair's
 * channel key for that direction. Each key seals one envelope only, so the zero nonce never repeats.
 * The dealer also publishes a SHA-256 commitment to every share, so a share revealed later is checked
 * by everybody and a member revealing a wrong one is caught by name.
 */
export type ShareKind = 'seed' | 'key';

export interface DealtShares {
  /** Holder → sealed envelope (sent pairwise or broadcast: only the holder can open it). */
  envelopes: Map<string, Uint8Array>;
  /** Holder → commitments to its two shares; public, in the dealer's signed share message. */
  commitments: Map<string, ShareCommitments>;
}

export type ShareCommitments = Record<ShareKind, string>;

/** The two shares a holder keeps of one dealer's secrets. */
export interface HeldShares {
  seed: Share;
  key: Share;
}

export interface RevealedShare {
  dealer: string;
  kind: ShareKind;
  /** The share value, SHARE_VALUE_BYTES big-endian; its x is the revealer's roster position. */
  y: Uint8Array;
}

const NONCE = new Uint8Array(12);
const TAG_BYTES = 16;

export function dealShares(
  round: SecureRound,
  me: string,
  keys: RoundKeys,
  random: RandomBytes,
): DealtShares {
  const holders = holdersOf(round, me);
  const xs = holders.map((h) => rosterEntry(round, h).x);
  const seedShares = splitSecret(keys.selfSeed, round.threshold, xs, random);
  const keyShares = splitSecret(keys.mask.secretKey, round.threshold, xs, random);
  const envelopes = new Map<string, Uint8Array>();
  const commitments = new Map<string, ShareCommitments>();
  holders.forEach((holder, i) => {
    const seedY = bigintToBytes(seedShares[i].y, SHARE_VALUE_BYTES);
    const keyY = bigintToBytes(keyShares[i].y, SHARE_VALUE_BYTES);
    const { advert } = rosterEntry(round, holder);
    const key = channelKey(round.ctx, me, holder, keys.channel, advert.channelPublicKey);
    const cipher = createCipheriv('aes-256-gcm', key, NONCE);
    cipher.setAAD(contextInfo('swarmd-secagg-envelope-v1', round.ctx, me, holder));
    const body = Buffer.concat([cipher.update(seedY), cipher.update(keyY), cipher.final()]);
    envelopes.set(holder, Buffer.concat([body, cipher.getAuthTag()]));
    commitments.set(holder, {
      seed: shareCommitment(round, 'seed', me, holder, seedY),
      key: shareCommitment(round, 'key', me, holder, keyY),
    });
  });
  return { envelopes, commitments };
}

export function shareCommitment(
  round: SecureRound,
  kind: ShareKind,
  dealer: string,
  holder: string,
  y: Uint8Array,
): string {
  return commitment(`swarmd-secagg-share-${kind}-v1`, round.ctx, [dealer, holder], y);
}

/**
 * Opens the envelope `dealer` sealed for `me` and checks it against the dealer's public commitments;
 * SECAGG_SHARE (forged or garbled) or SECAGG_COMMITMENT (the dealer misbehaves: exclude it before masking).
 */
export function openShares(
  round: SecureRound,
  me: string,
  keys: RoundKeys,
  dealer: string,
  envelope: Uint8Array,
  commitments: ShareCommitments,
): HeldShares {
  const { advert } = rosterEntry(round, dealer);
  if (envelope.length !== 2 * SHARE_VALUE_BYTES + TAG_BYTES) {
    throw new SecAggError('SECAGG_SHARE', `share envelope from ${dealer} has ${envelope.length} bytes`);
  }
  const key = channelKey(round.ctx, dealer, me, keys.channel, advert.channelPublicKey);
  const decipher = createDecipheriv('aes-256-gcm', key, NONCE);
  decipher.setAAD(contextInfo('swarmd-secagg-envelope-v1', round.ctx, dealer, me));
  decipher.setAuthTag(envelope.subarray(2 * SHARE_VALUE_BYTES));
  let plain: Buffer;
  try {
    plain = Buffer.concat([decipher.update(envelope.subarray(0, 2 * SHARE_VALUE_BYTES)), decipher.final()]);
  } catch (cause) {
    throw new SecAggError('SECAGG_SHARE', `share envelope from ${dealer} fails authentication`, { cause });
  }
  const seedY = plain.subarray(0, SHARE_VALUE_BYTES);
  const keyY = plain.subarray(SHARE_VALUE_BYTES);
  if (
    shareCommitment(round, 'seed', dealer, me, seedY) !== commitments.seed ||
    shareCommitment(round, 'key', dealer, me, keyY) !== commitments.key
  ) {
    throw new SecAggError(
      'SECAGG_COMMITMENT',
      `dealer ${dealer} sent shares that differ from its commitments`,
    );
  }
  const { x } = rosterEntry(round, me);
  return { seed: { x, y: bytesToBigint(seedY) }, key: { x, y: bytesToBigint(keyY) } };
}

/**
 * What an honest holder reveals once the round's sender set is fixed: seed shares of dealers that sent a
 * masked vector, key shares of those that did not. Never both for one dealer — that would unmask it — so a
 * peer calls this once per round and refuses any second request with a different `sent` set. Refuses a
 * sender set below the threshold (the sum of so few would say too much about each).
 */
export function revealShares(
  round: SecureRound,
  held: ReadonlyMap<string, HeldShares>,
  sent: readonly string[],
): RevealedShare[] {
  if (new Set(sent).size < round.threshold) {
    throw new SecAggError(
      'SECAGG_TOO_FEW',
      `${new Set(sent).size} senders, fewer than the threshold ${round.threshold}: reveal nothing, abandon the round`,
    );
  }
  sent.forEach((id) => rosterEntry(round, id));
  const sentSet = new Set(sent);
  return [...held.entries()].map(([dealer, shares]) => {
    const kind: ShareKind = sentSet.has(dealer) ? 'seed' : 'key';
    return { dealer, kind, y: bigintToBytes(shares[kind].y, SHARE_VALUE_BYTES) };
  });
}
