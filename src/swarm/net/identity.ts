/**
 * A peer's identity: an Ed25519 key whose public half is embedded in its libp2p peer id, so anyone holding
 * the peer id can verify what that peer signed without a key directory.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id';
import type { PrivateKey } from '@libp2p/interface';
import { SwarmdError } from '../../core/errors.js';

export type { PrivateKey };

// @libp2p/crypto 5.1.23 is typed against @libp2p/interface 3 while libp2p 2.x uses interface 2: the key
// objects are the same at run time, only the declared Uint8ArrayList versions differ, so convert here once.
type CryptoPrivateKey = Parameters<typeof privateKeyToProtobuf>[0];
const fromCrypto = (key: CryptoPrivateKey): PrivateKey => key as unknown as PrivateKey;
const toCrypto = (key: PrivateKey): CryptoPrivateKey => key as unknown as CryptoPrivateKey;

/** A bad identity key or peer id; the message says what to do. */
export class IdentityError extends SwarmdError {}

/** A fresh Ed25519 identity. */
export async function generateIdentity(): Promise<PrivateKey> {
  return fromCrypto(await generateKeyPair('Ed25519'));
}

/** The identity as libp2p's protobuf private-key bytes (what a key file stores). */
export function identityToBytes(key: PrivateKey): Uint8Array {
  return privateKeyToProtobuf(toCrypto(key));
}

/** Reads an identity written by `identityToBytes`; only Ed25519 keys are accepted. */
export function identityFromBytes(bytes: Uint8Array): PrivateKey {
  let key: PrivateKey;
  try {
    key = fromCrypto(privateKeyFromProtobuf(bytes));
  } catch (err) {
    throw new IdentityError(
      'IDENTITY_INVALID',
      'the identity key bytes are not a libp2p private key; restore the key file from a backup or create a new identity',
      { cause: err },
    );
  }
  if (key.type !== 'Ed25519') {
    throw new IdentityError(
      'IDENTITY_NOT_ED25519',
      `the identity key is ${key.type}, swarmd needs Ed25519; create a new identity`,
    );
  }
  return key;
}

/** The peer id (base58btc string) that belongs to this key. */
export function peerIdOf(key: PrivateKey): string {
  return peerIdFromPrivateKey(key).toString();
}

/** A signer bound to `key`: returns the Ed25519 signature of the bytes. */
export function signWith(key: PrivateKey): (bytes: Uint8Array) => Promise<Uint8Array> {
  return async (bytes) => key.sign(bytes);
}

/**
 * True when `sig` is `peerId`'s signature of `bytes`. A peer id that is not a valid Ed25519 peer id cannot
 * have signed anything, so it yields false rather than an error (wire input is untrusted).
 */
export async function verifyFromPeerId(peerId: string, bytes: Uint8Array, sig: Uint8Array): Promise<boolean> {
  let id;
  try {
    id = peerIdFromString(peerId);
  } catch {
    return false; // unparsable id from the wire: not a signer
  }
  if (id.type !== 'Ed25519') return false;
  try {
    return await id.publicKey.verify(bytes, sig);
  } catch {
    return false; // malformed signature bytes: not a valid signature
  }
}
