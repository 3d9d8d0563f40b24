import { describe, expect, it } from 'vitest';
import { derivePermutation } from '../../src/inr/index.js';
import { PYTHON_KEY_WORDS } from '../helpers/python-hkdf.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 53 + 7) & 0xff);

// Independent reference: HKDF (RFC 5869) written out with hmac, SHA-256 blocks, rejection sampling.
const PYTHON_PERMUTATION = String.raw`
${PYTHON_KEY_WORDS}
def permutation(key, layer, n):
    seed = hkdf_sha256(key, b"swarmd-infl-v1", layer.encode("utf-8"), 32)
    stream = words(seed)
    a = list(range(n))
    for i in range(n - 1, 0, -1):
        m = i + 1
        limit = (2 ** 32 // m) * m
        r = next(stream)
        while r >= limit:
            r = next(stream)
        j = r % m
        a[i], a[j] = a[j], a[i]
    return a

req = json.load(sys.stdin)
key = bytes.fromhex(req["key"])
print(json.dumps([permutation(key, req["layer"], n) for n in req["sizes"]]))
`;

function isPermutation(p: Int32Array): boolean {
  return [...p].sort((a, b) => a - b).every((v, i) => v === i);
}

describe('derivePermutation', () => {
  it('returns a permutation of 0..n-1', () => {
    for (const n of [0, 1, 2, 3, 10, 257, 1000]) {
      const p = derivePermutation(KEY, 'decoder_1', n);
      expect(p).toHaveLength(n);
      expect(isPermutation(p)).toBe(true);
    }
  });

  it('is deterministic for a key and layer name', () => {
    expect(derivePermutation(KEY, 'decoder_1', 64)).toEqual(
      derivePermutation(Uint8Array.from(KEY), 'decoder_1', 64),
    );
  });

  it('differs between layer names and between keys', () => {
    const base = derivePermutation(KEY, 'decoder_1', 64);
    expect(derivePermutation(KEY, 'decoder_2', 64)).not.toEqual(base);
    expect(derivePermutation(OTHER_KEY, 'decoder_1', 64)).not.toEqual(base);
  });

  it('equals an independent Python implementation', (ctx) => {
    skipIfMissing(ctx, pythonMissing());
    const sizes = [1, 2, 10, 1000];
    const expected = runPython<number[][]>(PYTHON_PERMUTATION, {
      key: Buffer.from(KEY).toString('hex'),
      layer: 'decoder_1',
      sizes,
    });
    sizes.forEach((n, k) => expect([...derivePermutation(KEY, 'decoder_1', n)]).toEqual(expected[k]));
  });

  it('rejects a negative or fractional size', () => {
    expect(() => derivePermutation(KEY, 'x', -1)).toThrow(/whole number/);
    expect(() => derivePermutation(KEY, 'x', 2.5)).toThrow(/whole number/);
  });
});
