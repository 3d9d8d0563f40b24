import { createHash, hkdfSync } from 'node:crypto';
import { InputError } from '../core/index.js';

const HKDF_SALT = Buffer.from('swarmd-infl-v1', 'utf8');
const TWO_POW_32 = 2 ** 32;

/**
 * The secret permutation π of {0..n−1} for one INR layer; result[i] = π(i). Deterministic on every
 * machine: seed = HKDF-SHA256(key, salt "swarmd-infl-v1", info layerName, 32 bytes); a word stream of
 * big-endian u32 from SHA-256(seed ‖ u32be j), j = 0, 1, …; Fisher–Yates with rejection sampling, so
 * every permutation is equally likely.
 */
export function derivePermutation(key: Uint8Array, layerName: string, n: number): Int32Array {
  checkSize(n);
  const nextWord = keyWords(key, layerName);
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  for (let i = n - 1; i >= 1; i--) {
    const m = i + 1;
    const limit = Math.floor(TWO_POW_32 / m) * m;
    let r = nextWord();
    while (r >= limit) r = nextWord();
    const j = r % m;
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * n signs ±1 for one purpose named by `info`: bit i of the same HKDF-seeded word stream (bit 31 − i%32 of
 * word ⌊i/32⌋) is 1 → −1, 0 → +1. Each is ±1 with probability ½, independent of the others.
 */
export function deriveSigns(key: Uint8Array, info: string, n: number): Float32Array {
  checkSize(n);
  const nextWord = keyWords(key, info);
  const out = new Float32Array(n);
  let word = 0;
  for (let i = 0; i < n; i++) {
    if (i % 32 === 0) word = nextWord();
    out[i] = (word >>> (31 - (i % 32))) & 1 ? -1 : 1;
  }
  return out;
}

function checkSize(n: number): void {
  if (!Number.isInteger(n) || n < 0)
    throw new InputError('PERMUTATION_SIZE', `permutation size must be a whole number ≥ 0, got ${n}`);
}

/** The word stream for one `info` string: HKDF-SHA256(key, salt "swarmd-infl-v1", info, 32 bytes) seeds it. */
function keyWords(key: Uint8Array, info: string): () => number {
  return wordStream(Buffer.from(hkdfSync('sha256', key, HKDF_SALT, Buffer.from(info, 'utf8'), 32)));
}

/** Big-endian u32 words of SHA-256(seed ‖ u32be 0) ‖ SHA-256(seed ‖ u32be 1) ‖ … */
function wordStream(seed: Buffer): () => number {
  let block = Buffer.alloc(0);
  let offset = 0;
  let counter = 0;
  return () => {
    if (offset >= block.length) {
      const j = Buffer.alloc(4);
      j.writeUInt32BE(counter++);
      block = createHash('sha256').update(seed).update(j).digest();
      offset = 0;
    }
    const word = block.readUInt32BE(offset);
    offset += 4;
    return word;
  };
}

/** Throws unless `p` holds each of 0..n−1 exactly once. */
export function assertPermutation(p: ArrayLike<number>, n: number, what: string): void {
  if (p.length !== n)
    throw new InputError(
      'PERMUTATION_INVALID',
      `${what}: permutation has ${p.length} entries, expected ${n}`,
    );
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = p[i];
    if (!Number.isInteger(v) || v < 0 || v >= n || seen[v]) {
      throw new InputError(
        'PERMUTATION_INVALID',
        `${what}: not a permutation of 0..${n - 1} (entry ${i} is ${v})`,
      );
    }
    seen[v] = 1;
  }
}
