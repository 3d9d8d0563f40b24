import { describe, expect, it } from 'vitest';
import { SealError, deriveTopicKey, open, seal } from '../../src/swarm/protocol/index.js';
import { runPython } from '../helpers/python.js';

const secret = new Uint8Array(32).map((_, i) => i + 1);
const key = deriveTopicKey(secret, 'swarm-1');
const topic = '/swarmd/swarm-1/updates/1';
const plaintext = new TextEncoder().encode('weights go here');

function sealError(fn: () => unknown): SealError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SealError) return err;
    throw err;
  }
  throw new Error('expected a SealError');
}

describe('topic sealing', () => {
  it('derives the key as HKDF-SHA256 computed independently with Python hmac', () => {
    const script = `
import json, sys, hmac, hashlib
d = json.load(sys.stdin)
prk = hmac.new(b"swarmd-topic-v1", bytes(d["secret"]), hashlib.sha256).digest()
okm = hmac.new(prk, d["info"].encode() + b"\\x01", hashlib.sha256).digest()
print(json.dumps(okm.hex()))`;
    const expected = runPython<string>(script, { secret: [...secret], info: 'swarm-1' });
    expect(Buffer.from(key).toString('hex')).toBe(expected);
    expect(deriveTopicKey(secret, 'swarm-2')).not.toEqual(key);
  });

  it('round-trips a payload and lays out version, nonce, ciphertext and tag', () => {
    const nonce = new Uint8Array(12).fill(7);
    const sealed = seal(key, topic, plaintext, nonce);
    expect(sealed.length).toBe(1 + 12 + plaintext.length + 16);
    expect(sealed[0]).toBe(1);
    expect([...sealed.subarray(1, 13)]).toEqual([...nonce]);
    expect(Buffer.from(open(key, topic, sealed)).toString()).toBe('weights go here');
  });

  it('draws a fresh nonce for every payload', () => {
    const a = seal(key, topic, plaintext);
    const b = seal(key, topic, plaintext);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(Buffer.from(open(key, topic, b)).toString()).toBe('weights go here');
  });

  it('round-trips an empty payload', () => {
    expect(open(key, topic, seal(key, topic, new Uint8Array(0))).length).toBe(0);
  });

  it('rejects a payload with one tampered byte', () => {
    const sealed = seal(key, topic, plaintext);
    for (const at of [13, sealed.length - 1, 5]) {
      const bad = sealed.slice();
      bad[at] ^= 0x01;
      expect(sealError(() => open(key, topic, bad)).code).toBe('SEAL_AUTH');
    }
  });

  it('rejects a payload replayed on another topic', () => {
    const sealed = seal(key, topic, plaintext);
    expect(sealError(() => open(key, '/swarmd/swarm-1/control/1', sealed)).code).toBe('SEAL_AUTH');
  });

  it('rejects a payload sealed under another swarm secret', () => {
    const other = deriveTopicKey(new Uint8Array(32).fill(9), 'swarm-1');
    expect(sealError(() => open(other, topic, seal(key, topic, plaintext))).code).toBe('SEAL_AUTH');
  });

  it('rejects a short payload and an unknown version', () => {
    expect(sealError(() => open(key, topic, new Uint8Array(28))).code).toBe('SEAL_SHORT');
    const sealed = seal(key, topic, plaintext);
    sealed[0] = 2;
    expect(sealError(() => open(key, topic, sealed)).code).toBe('SEAL_VERSION');
  });

  it('refuses a weak secret, a wrong-size key and a wrong-size nonce', () => {
    expect(sealError(() => deriveTopicKey(new Uint8Array(8), 's')).code).toBe('SEAL_WEAK_SECRET');
    expect(sealError(() => seal(new Uint8Array(16), topic, plaintext)).code).toBe('SEAL_BAD_KEY');
    expect(sealError(() => seal(key, topic, plaintext, new Uint8Array(8))).code).toBe('SEAL_BAD_NONCE');
  });
});
