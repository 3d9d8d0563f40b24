import { createCipheriv } from 'node:crypto';
import { SecAggError } from './errors.js';
import { MODULUS, MODULUS_BITS, littleEndian } from './fixed.js';

/*
 * The mask generator: AES-256-CTR keyed by a 32-byte seed, zero IV, read as little-endian u64 words of
 * which the low 52 bits are one residue (uniform mod 2^52). A seed is used for one vector only (seeds are
 * bound to swarm, round and pair), so the fixed IV never repeats a keystream.
 */
const BLOCK_ELEMENTS = 8192;
const ZEROS = new Uint8Array(BLOCK_ELEMENTS * 8);
const HI_MASK = 2 ** (MODULUS_BITS - 32) - 1;

/** acc ← acc + sign · PRG(seed) mod 2^52, element-wise. */
export function addMaskInto(acc: Float64Array, seed: Uint8Array, sign: 1 | -1): void {
  if (seed.length !== 32) throw new SecAggError('SECAGG_KEY', 'a mask seed must be 32 bytes');
  const cipher = createCipheriv('aes-256-ctr', seed, new Uint8Array(16));
  const block = new Uint8Array(BLOCK_ELEMENTS * 8);
  const words = new Uint32Array(block.buffer);
  for (let start = 0; start < acc.length; start += BLOCK_ELEMENTS) {
    const len = Math.min(BLOCK_ELEMENTS, acc.length - start);
    block.set(cipher.update(ZEROS.subarray(0, len * 8)));
    littleEndian(block.subarray(0, len * 8));
    if (sign === 1) addBlock(acc, words, start, len);
    else subtractBlock(acc, words, start, len);
  }
}

function addBlock(acc: Float64Array, words: Uint32Array, start: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const s = acc[start + i] + ((words[2 * i + 1] & HI_MASK) * 4294967296 + words[2 * i]);
    acc[start + i] = s >= MODULUS ? s - MODULUS : s;
  }
}

function subtractBlock(acc: Float64Array, words: Uint32Array, start: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const s = acc[start + i] - ((words[2 * i + 1] & HI_MASK) * 4294967296 + words[2 * i]);
    acc[start + i] = s < 0 ? s + MODULUS : s;
  }
}
