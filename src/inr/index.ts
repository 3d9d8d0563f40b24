/**
 * INR: the model key and what it locks. A key file holds 32 random bytes, written atomically with mode
 * 0600 and checked on load (format, version, length, fingerprint); the fingerprint names a key without
 * revealing it. From the key, HKDF-SHA256 and Fisher–Yates derive one secret permutation per INR layer,
 * the same on every machine; the permutation fixes the coordinates and positional encoding that feed
 * INRLinear's Φθ. The key never enters weights, configs, messages or logs: a wrong key or none gives the
 * same weights a different (or zero) Δ, and only the fingerprint check can tell.
 */
export type { ModelKey } from './key.js';
export { generateModelKey, modelKeyFromBytes, assertKeyMatches } from './key.js';
export { writeKeyFile, loadKeyFile } from './key-file.js';
export type { WriteKeyFileOptions } from './key-file.js';
export { KeyFileError, KeyMismatchError } from './errors.js';
export { derivePermutation, deriveSigns } from './permutation.js';
export { deriveInputShuffle } from './shuffle.js';
export { inrCoordinates, positionalEncoding } from './encoding.js';
export { INRLinear } from './inr-linear.js';
export type { INRLinearArgs, InputShuffle } from './inr-linear.js';
