import type { InputShuffle } from './inr-linear.js';
import { derivePermutation, deriveSigns } from './permutation.js';

/**
 * The `shuffle` lock's secret for one layer: a signed permutation of its n inputs (x'_j = s_j · x_{σ(j)}),
 * from the model key by the same HKDF derivation as INFL's π, under its own info strings
 * `swarmd-lock-shuffle-v1/<layer>/permutation` and `…/signs`, so σ, s and π are independent of each other.
 */
export function deriveInputShuffle(key: Uint8Array, layerName: string, n: number): InputShuffle {
  const info = `swarmd-lock-shuffle-v1/${layerName}`;
  return {
    permutation: derivePermutation(key, `${info}/permutation`, n),
    signs: deriveSigns(key, `${info}/signs`, n),
  };
}
