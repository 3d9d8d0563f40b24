import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/index.js';
import { LayerNorm } from './layer-norm.js';
import { denseLayerNames, type LayerSpec } from './layer-spec.js';
import type { LayerFactory } from './task.js';

/** Applies the list to `input`, then the output layer of `units`. */
export function layersBody(
  specs: LayerSpec[],
  f: LayerFactory,
  input: tf.SymbolicTensor,
  units: number,
): tf.SymbolicTensor {
  const names = denseLayerNames(specs);
  const counter = { dense: 0, other: 0 };
  return f.linear('output', units, apply(specs, f, input, names, counter));
}

function apply(
  specs: LayerSpec[],
  f: LayerFactory,
  x: tf.SymbolicTensor,
  names: string[],
  n: { dense: number; other: number },
): tf.SymbolicTensor {
  let h = x;
  for (const s of specs) {
    const id = ++n.other;
    if ('dense' in s) h = f.linear(names[n.dense++], s.dense, h);
    else if ('activation' in s)
      h = tf.layers.activation({ activation: s.activation, name: `act_${id}` }).apply(h) as tf.SymbolicTensor;
    else if ('dropout' in s) h = f.dropout(`dropout_${id}`, h, s.dropout);
    else if ('layerNorm' in s) h = new LayerNorm({ name: `norm_${id}` }).apply(h) as tf.SymbolicTensor;
    else {
      const r = apply(s.residual, f, h, names, n);
      const [a, b] = [h.shape.at(-1), r.shape.at(-1)];
      if (a !== b)
        throw new InputError(
          'MODEL_RESIDUAL_WIDTH',
          `a residual block must end as wide as it starts (${a}), but it ends with ${b} units: make its last dense layer ${a} wide`,
        );
      h = tf.layers.add({ name: `skip_${id}` }).apply([h, r]) as tf.SymbolicTensor;
    }
  }
  return h;
}
