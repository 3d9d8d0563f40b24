import { createHash, randomBytes } from 'node:crypto';
import { InputError } from '../core/index.js';
import { KeyMismatchError } from './errors.js';

export const MODEL_KEY_BYTES = 32;
const FINGERPRINT_DOMAIN = Buffer.from('swarmd-model-key-fingerprint-v1\0', 'utf8');

/**
 * The swarm's model key: 32 secret bytes and their public fingerprint. `key` is a non-enumerable
 * property, so JSON.stringify, util.inspect, loggers and object spread never carry the bytes along
 * (a spread copy has no key: pass the ModelKey itself around).
 */
export interface ModelKey {
  readonly key: Uint8Array;
  readonly fingerprint: string;
}

/** First 16 bytes (hex) of SHA-256(domain ‖ key): identifies a key without revealing it. */
export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update(FINGERPRINT_DOMAIN).update(key).digest().subarray(0, 16).toString('hex');
}

/** Wraps a copy of 32 key bytes as a ModelKey. */
export function modelKeyFromBytes(bytes: Uint8Array): ModelKey {
  if (bytes.length !== MODEL_KEY_BYTES) {
    throw new InputError(
      'KEY_LENGTH',
      `a model key has ${MODEL_KEY_BYTES} bytes, got ${bytes.length}: generate one with \`swarmd keygen\``,
    );
  }
  const key = Uint8Array.from(bytes);
  const modelKey = { fingerprint: keyFingerprint(key) } as { key: Uint8Array; fingerprint: string };
  Object.defineProperty(modelKey, 'key', { value: key, enumerable: false, writable: false });
  return Object.freeze(modelKey);
}

export function generateModelKey(): ModelKey {
  const bytes = randomBytes(MODEL_KEY_BYTES);
  const key = modelKeyFromBytes(bytes);
  bytes.fill(0);
  return key;
}

/** Throws KeyMismatchError unless `key` has `expectedFingerprint`; `context` names what expects it. */
export function assertKeyMatches(key: ModelKey, expectedFingerprint: string, context: string): void {
  if (key.fingerprint.toLowerCase() !== expectedFingerprint.trim().toLowerCase()) {
    throw new KeyMismatchError(key.fingerprint, expectedFingerprint, context);
  }
}
