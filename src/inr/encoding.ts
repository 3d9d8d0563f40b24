import { assertPermutation } from './permutation.js';

/** INR coordinates c'_i = 2π(i)/(n−1) − 1 in [−1, 1]; n = 1 gives 0; a null permutation is the identity. */
export function inrCoordinates(permutation: ArrayLike<number> | null, n: number): Float32Array {
  if (permutation) assertPermutation(permutation, n, 'INR coordinates');
  const c = new Float32Array(n);
  if (n === 1) return c;
  for (let i = 0; i < n; i++) {
    const p = permutation ? permutation[i] : i;
    c[i] = (2 * p) / (n - 1) - 1;
  }
  return c;
}

/**
 * γ(c) per coordinate, row-major [n, 2L]: columns 2l, 2l+1 are sin(2^l·π·c), cos(2^l·π·c), l = 0..L−1.
 */
export function positionalEncoding(coords: Float32Array, levels: number): Float32Array {
  const width = 2 * levels;
  const out = new Float32Array(coords.length * width);
  for (let i = 0; i < coords.length; i++) {
    for (let l = 0; l < levels; l++) {
      const angle = 2 ** l * Math.PI * coords[i];
      out[i * width + 2 * l] = Math.sin(angle);
      out[i * width + 2 * l + 1] = Math.cos(angle);
    }
  }
  return out;
}
