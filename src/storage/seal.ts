import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { KeyMismatchError, type ModelKey } from '../inr/index.js';
import { CheckpointCorruptError, StoreError } from './errors.js';

/*
 * A sealed value: magic (4 bytes) | key fingerprint (16 bytes) | nonce (12) | AES-256-GCM ciphertext | tag (16).
 * The seal key is HKDF-SHA256(model key, info of the value's kind: "swarmd checkpoint seal v1",
 * "swarmd identity seal v1"), so it never equals the model key, the other kind's seal key or any other key
 * derived from it. The associated data binds the value to its kind, its id and the header, so a value moved
 * to another id or kind, or a flipped bit anywhere, fails authentication. The fingerprint in the clear only
 * tells a wrong key apart from damage; it is public already (key files carry it).
 */
const FINGERPRINT_BYTES = 16;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MAGIC_BYTES = 4;
const HEADER_BYTES = MAGIC_BYTES + FINGERPRINT_BYTES;
/** Bytes a seal adds to its plaintext. */
const SEAL_OVERHEAD_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

/** Seals and opens one kind of value under one model key. */
export interface Sealer {
  seal(id: string, plaintext: Uint8Array): Uint8Array;
  /** Throws KeyMismatchError (sealed under another key) or the kind's corruption error (damaged or altered). */
  open(id: string, sealed: Uint8Array, where: string): Uint8Array;
}

/** What differs between the kinds of sealed value: magic, key derivation and the words of their errors. */
interface SealedKind {
  magic: Buffer;
  info: string;
  /** Names the value for a key mismatch: "checkpoint X in Y". */
  name(id: string, where: string): string;
  corrupt(id: string, where: string, why: string): Error;
}

const CHECKPOINT: SealedKind = {
  magic: Buffer.from('SWE1', 'latin1'),
  info: 'swarmd checkpoint seal v1',
  name: (id, where) => `checkpoint ${id} in ${where}`,
  corrupt: (id, where, why) =>
    new CheckpointCorruptError(
      'CHECKPOINT_AUTH',
      `checkpoint ${id} in ${where} failed its integrity check (${why}): it was damaged or altered and was not used; restore it from another site or a backup`,
    ),
};

const IDENTITY: SealedKind = {
  magic: Buffer.from('SWI1', 'latin1'),
  info: 'swarmd identity seal v1',
  name: (_id, where) => `the peer identity in ${where}`,
  corrupt: (_id, where, why) =>
    new StoreError(
      'IDENTITY_AUTH',
      `the peer identity in ${where} failed its integrity check (${why}): it was damaged or altered and was not used; restore the data directory from a backup`,
    ),
};

export const checkpointSealer = (key: ModelKey): Sealer => sealer(key, CHECKPOINT);
export const identitySealer = (key: ModelKey): Sealer => sealer(key, IDENTITY);

/** Whether stored identity bytes are sealed (an older swarmd kept the raw libp2p key). */
export const isSealedIdentity = (bytes: Uint8Array): boolean => hasMagic(bytes, IDENTITY.magic);

function hasMagic(bytes: Uint8Array, magic: Buffer): boolean {
  return bytes.length >= magic.length && magic.equals(bytes.subarray(0, magic.length));
}

function sealer(key: ModelKey, kind: SealedKind): Sealer {
  const sealKey = Buffer.from(hkdfSync('sha256', key.key, new Uint8Array(0), kind.info, 32));
  const header = Buffer.concat([kind.magic, Buffer.from(key.fingerprint, 'hex')]);
  const aad = (id: string, head: Uint8Array) =>
    Buffer.concat([Buffer.from(`${kind.info}\0${id}\0`, 'utf8'), head]);
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
      if (bytes.length < SEAL_OVERHEAD_BYTES) throw kind.corrupt(id, where, 'truncated');
      if (!hasMagic(bytes, kind.magic)) throw kind.corrupt(id, where, 'not a sealed value');
      const sealedBy = bytes.subarray(MAGIC_BYTES, HEADER_BYTES).toString('hex');
      if (sealedBy !== key.fingerprint)
        throw new KeyMismatchError(
          key.fingerprint,
          sealedBy,
          `${kind.name(id, where)}, which is encrypted under another key`,
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
        throw kind.corrupt(id, where, 'authentication failed');
      }
      return body;
    },
  };
}
