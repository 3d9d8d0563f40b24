import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { KeyMismatchError, type ModelKey } from '../inr/index.js';
import { CheckpointCorruptError } from './errors.js';

/*
 * A sealed checkpoint value: "SWE1" | key fingerprint (16 bytes) | nonce (12) | AES-256-GCM ciphertext | tag (16).
 * The seal key is HKDF-SHA256(model key, info "swarmd checkpoint seal v1"), so it never equals the model
 * key or any other key derived from it. The associated data binds the value to its checkpoint id and to the
 * header, so a value moved to another id, or a flipped bit anywhere, fails authentication. The fingerprint
 * in the clear only tells a wrong key apart from damage; it is public already (key files carry it).
 */
const MAGIC = Buffer.from('SWE1', 'latin1');
const INFO = 'swarmd checkpoint seal v1';
const FINGERPRINT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = MAGIC.length + FINGERPRINT_BYTES;
/** Bytes a seal adds to its plaintext. */
const SEAL_OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** Seals and opens checkpoint bytes under one model key. */
export interface CheckpointSealer {
  seal(id: string, plaintext: Uint8Array): Uint8Array;
  /** Throws KeyMismatchError (sealed under another key) or CheckpointCorruptError (damaged or altered). */
  open(id: string, sealed: Uint8Array, where: string): Uint8Array;
}

function isSealed(bytes: Uint8Array): boolean {
  return bytes.length >= MAGIC.length && MAGIC.equals(bytes.subarray(0, MAGIC.length));
}

export function checkpointSealer(key: ModelKey): CheckpointSealer {
  const sealKey = Buffer.from(hkdfSync('sha256', key.key, new Uint8Array(0), INFO, 32));
  const header = Buffer.concat([MAGIC, Buffer.from(key.fingerprint, 'hex')]);
  return {
    seal(id, plaintext) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealKey, nonce).setAAD(aad(id, header));
      const body = cipher.update(plaintext);
      cipher.final();
      return Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
    },
    open(id, sealed, where) {
      const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
      const bad = (why: string) =>
        new CheckpointCorruptError(
          'CHECKPOINT_AUTH',
          `checkpoint ${id} in ${where} failed its integrity check (${why}): it was damaged or altered and was not used; restore it from another site or a backup`,
        );
      if (bytes.length < SEAL_OVERHEAD_BYTES) throw bad('truncated');
      if (!isSealed(bytes)) throw bad('not a sealed value');
      const sealedBy = bytes.subarray(MAGIC.length, HEADER_BYTES).toString('hex');
      if (sealedBy !== key.fingerprint)
        throw new KeyMismatchError(
          key.fingerprint,
          sealedBy,
          `checkpoint ${id} in ${where}, which is encrypted under another key`,
        );
      const nonce = bytes.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', sealKey, nonce, { authTagLength: TAG_BYTES }).setAAD(
        aad(id, bytes.subarray(0, HEADER_BYTES)),
      );
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const body = decipher.update(bytes.subarray(HEADER_BYTES + NONCE_BYTES, bytes.length - TAG_BYTES));
      try {
        decipher.final();
      } catch {
        throw bad('authentication failed');
      }
      return body;
    },
  };
}

function aad(id: string, header: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from(`${INFO}\0${id}\0`, 'utf8'), header]);
}
