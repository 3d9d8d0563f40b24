import { createHash, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { compareIds } from '../ids.js';
import { SecAggError } from './errors.js';

/*
 * Key material of one secure round. Two ephemeral X25519 pairs per contributor, as in Bonawitz et al.:
 * `mask` (its secret is Shamir-shared, so a dropped site's pairwise masks can be rebuilt) and `channel`
 * (encrypts the shares in transit; never shared, so rebuilding a dropped site's mask key does not open the
 * shares other sites sent it). Every derivation is bound to swarm id, round and both peer IDs.
 */
export interface RoundContext {
  swarmId: string;
  round: number;
}

export interface KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface RoundKeys {
  mask: KeyPair;
  channel: KeyPair;
  /** Seed of the self-mask, Shamir-shared too. */
  selfSeed: Uint8Array;
}

/** Source of secret random bytes: `crypto.randomBytes` in the peer, a seeded stream in tests. */
export type RandomBytes = (length: number) => Uint8Array;

const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');

/** Clamped as RFC 7748 does, so the shared secret key is the scalar X25519 really uses (< 2^255). */
export function x25519KeyPair(secret32: Uint8Array): KeyPair {
  if (secret32.length !== 32) throw new SecAggError('SECAGG_KEY', 'an X25519 secret key is 32 bytes');
  const secretKey = Uint8Array.from(secret32);
  secretKey[0] &= 248;
  secretKey[31] &= 127;
  secretKey[31] |= 64;
  const publicKey = createPublicKey(privateKeyObject(secretKey)).export({ format: 'der', type: 'spki' });
  return { secretKey, publicKey: new Uint8Array(publicKey.subarray(SPKI_X25519.length)) };
}

export function generateRoundKeys(random: RandomBytes): RoundKeys {
  return {
    mask: x25519KeyPair(random(32)),
    channel: x25519KeyPair(random(32)),
    selfSeed: Uint8Array.from(random(32)),
  };
}

function privateKeyObject(secretKey: Uint8Array) {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, secretKey]), format: 'der', type: 'pkcs8' });
}

const b64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64url');

/** X25519(own secret, peer public). JWK import: OpenSSL 3's DER decoder costs ≈ 2 ms a key, JWK ≈ 0.1 ms. */
function sharedSecret(own: KeyPair, peerPublicKey: Uint8Array): Uint8Array {
  if (peerPublicKey.length !== 32) throw new SecAggError('SECAGG_KEY', 'an X25519 public key is 32 bytes');
  const jwk = { kty: 'OKP', crv: 'X25519', x: b64url(own.publicKey), d: b64url(own.secretKey) };
  const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  const publicKey = createPublicKey({
    key: { kty: 'OKP', crv: 'X25519', x: b64url(peerPublicKey) },
    format: 'jwk',
  });
  try {
    return new Uint8Array(diffieHellman({ privateKey, publicKey }));
  } catch (cause) {
    // OpenSSL refuses low-order points (all-zero shared secret): a peer that sends one is misbehaving.
    throw new SecAggError('SECAGG_KEY', 'X25519 with a peer public key failed: the key is invalid', {
      cause,
    });
  }
}

/** Unambiguous bytes naming a round and parties: length-prefixed fields. */
export function contextInfo(label: string, ctx: RoundContext, ...ids: string[]): Buffer {
  const fields = [label, ctx.swarmId, String(ctx.round), ...ids];
  return Buffer.from(fields.map((f) => `${Buffer.byteLength(f)}:${f}`).join('|'));
}

function sortedPair(a: string, b: string): [string, string] {
  return compareIds(a, b) < 0 ? [a, b] : [b, a];
}

/** The pairwise mask seed of `me` and `other`, the same at both ends (and at anyone holding one secret). */
export function pairSeed(
  ctx: RoundContext,
  me: string,
  mask: KeyPair,
  other: string,
  otherMaskPublicKey: Uint8Array,
): Uint8Array {
  const ikm = sharedSecret(mask, otherMaskPublicKey);
  const info = contextInfo('swarmd-secagg-pair-mask-v1', ctx, ...sortedPair(me, other));
  return new Uint8Array(hkdfSync('sha256', ikm, 'swarmd-secagg-v1', info, 32));
}

/** Sign of the pair mask in `me`'s vector: the lower peer ID adds, the higher subtracts. */
export function pairSign(me: string, other: string): 1 | -1 {
  return compareIds(me, other) < 0 ? 1 : -1;
}

/** AES-256-GCM key for shares sent from `sender` to `receiver` (one key per direction). */
export function channelKey(
  ctx: RoundContext,
  sender: string,
  receiver: string,
  channel: KeyPair,
  otherChannelPublicKey: Uint8Array,
): Uint8Array {
  const ikm = sharedSecret(channel, otherChannelPublicKey);
  const info = contextInfo('swarmd-secagg-share-channel-v1', ctx, sender, receiver);
  return new Uint8Array(hkdfSync('sha256', ikm, 'swarmd-secagg-v1', info, 32));
}

/** SHA-256 over a label, the round, ids and bytes: commitments to seeds and shares. */
export function commitment(label: string, ctx: RoundContext, ids: string[], bytes: Uint8Array): string {
  return createHash('sha256')
    .update(contextInfo(label, ctx, ...ids))
    .update(bytes)
    .digest('hex');
}
