import * as tf from '@tensorflow/tfjs';

/**
 * tfjs-backend-wasm multiplies fast (XNNPACK) only when neither operand is transposed; with `transposeA`
 * or `transposeB` it falls back to a plain loop, measured 10–40× slower on the 3556×64 first layer. The
 * gradient of a matMul asks for exactly those transposed products (aᵀ·dy for the weights), so on wasm this
 * gradient transposes the operand explicitly (one cheap copy) and multiplies untransposed. Same values, up
 * to float summation order; other backends keep tfjs's own gradient.
 */
export function useFastMatMulGradient(): void {
  const original = tf.getGradient('BatchMatMul');
  if (!original || registered) return;
  registered = true;
  tf.registerGradient({
    kernelName: 'BatchMatMul',
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      if (tf.getBackend() !== 'wasm') return original.gradFunc(dy, saved, attrs);
      const [a, b] = saved;
      const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
      const g = dy as tf.Tensor;
      if (!transposeA && !transposeB) return { a: () => mul(g, t(b)), b: () => mul(t(a), g) };
      if (!transposeA) return { a: () => mul(g, b), b: () => mul(t(g), a) };
      if (!transposeB) return { a: () => mul(b, t(g)), b: () => mul(a, g) };
      return { a: () => mul(t(b), t(g)), b: () => mul(t(g), t(a)) };
    },
  });
}

let registered = false;

const mul = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y);

/** Swaps the last two axes (a physical copy on wasm). */
function t(x: tf.Tensor): tf.Tensor {
  const perm = [...Array(x.rank).keys()];
  [perm[x.rank - 2], perm[x.rank - 1]] = [perm[x.rank - 1], perm[x.rank - 2]];
  return tf.transpose(x, perm);
}
