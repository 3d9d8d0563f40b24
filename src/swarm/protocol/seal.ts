import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { SwarmdError } from '../../core/index.js';

/*
 * Topic payload encryption, so a relay that is not a member learns nothing from what it forwards.
 * Sealed form: version byte (1) | 12-byte nonce | AES-256-GCM ciphertext | 16-byte tag; the topic name is
 * the associated data, so a payload replayed onto another topic fails to open.
 */
export const SEAL_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HKDF_SALT = 'swarmd-topic-v1';

/** Codes: SEAL_BAD_KEY, SEAL_BAD_NONCE, SEAL_WEAK_SECRET, SEAL_SHORT, SEAL_VERSION, SEAL_AUTH. */
export class SealError extends SwarmdError {}

/** HKDF-SHA256(secret, salt "swarmd-topic-v1", info swarmId) → 32-byte AES key for every topic of the swarm. */
export function deriveTopicKey(swarmSecret: Uint8Array, swarmId: string): Uint8Array {
  if (swarmSecret.length < 16) {
    throw new SealError('SEAL_WEAK_SECRET', 'the swarm secret must be at least 16 bytes; generate a new one');
  }
  return new Uint8Array(hkdfSync('sha256', swarmSecret, HKDF_SALT, swarmId, KEY_BYTES));
}

/** Encrypts `plaintext` for `topic`. `nonce12` is for tests only: a reused nonce breaks GCM. */
export function seal(
  key: Uint8Array,
  topic: string,
  plaintext: Uint8Array,
  nonce12?: Uint8Array,
): Uint8Array {
  checkKey(key);
  const nonce = nonce12 ?? randomBytes(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) {
    throw new SealError('SEAL_BAD_NONCE', `the nonce must be ${NONCE_BYTES} bytes`);
  }
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(new TextEncoder().encode(topic));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  const out = new Uint8Array(1 + NONCE_BYTES + body.length + final.length + TAG_BYTES);
  out[0] = SEAL_VERSION;
  out.set(nonce, 1);
  out.set(body, 1 + NONCE_BYTES);
  out.set(final, 1 + NONCE_BYTES + body.length);
  out.set(cipher.getAuthTag(), out.length - TAG_BYTES);
  return out;
}

/** Decrypts a sealed payload for `topic`; throws SealError if it is short, of another version, or forged. */
export function open(key: Uint8Array, topic: string, sealed: Uint8Array): Uint8Array {
  checkKey(key);
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES) {
    throw new SealError('SEAL_SHORT', `sealed payload of ${sealed.length} bytes is too short`);
  }
  if (sealed[0] !== SEAL_VERSION) {
    throw new SealError('SEAL_VERSION', `sealed payload has version ${sealed[0]}, expected ${SEAL_VERSION}`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + NONCE_BYTES));
  decipher.setAAD(new TextEncoder().encode(topic));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = decipher.update(sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES));
  try {
    const final = decipher.final();
    return final.length === 0 ? body : Buffer.concat([body, final]);
  } catch (cause) {
    throw new SealError(
      'SEAL_AUTH',
      `payload on ${topic} failed authentication: wrong swarm secret or tampered`,
      {
        cause,
      },
    );
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new SealError('SEAL_BAD_KEY', `topic key must be ${KEY_BYTES} bytes`);
}
