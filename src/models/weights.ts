import * as tf from '@tensorflow/tfjs';
import { InputError, type NamedTensors } from '../core/index.js';

/**
 * Stable weight names `layer/weight` (e.g. `decoder_1/kernel`, `decoder_1/inr_0/bias`). tfjs may suffix
 * variable names (`kernel_1`) when several models live in one process, so names come from the layer
 * name plus the weight's original name, never from the variable's runtime name.
 */
function weightEntries(model: tf.LayersModel): { name: string; variable: tf.LayerVariable }[] {
  const out: { name: string; variable: tf.LayerVariable }[] = [];
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const original = w.originalName;
      const local = original.startsWith(`${layer.name}/`) ? original.slice(layer.name.length + 1) : original;
      out.push({ name: `${layer.name}/${local}`, variable: w });
    }
  }
  return out;
}

/** The `kernel` weights of the named layers (what an L2 penalty covers: no biases, no INR Φ). */
export function layerKernels(model: tf.LayersModel, layers: string[]): tf.LayerVariable[] {
  const names = new Set(layers.map((l) => `${l}/kernel`));
  return weightEntries(model)
    .filter((e) => names.has(e.name))
    .map((e) => e.variable);
}

/** Reads every weight back (async: the webgpu backend has no synchronous read in Node). */
export async function getNamedWeights(model: tf.LayersModel): Promise<NamedTensors> {
  const entries = weightEntries(model);
  const values = await Promise.all(entries.map((e) => e.variable.read().data()));
  const out: NamedTensors = new Map();
  entries.forEach(({ name, variable }, i) => {
    out.set(name, {
      shape: [...(variable.shape as number[])],
      data: Float32Array.from(values[i] as Float32Array),
    });
  });
  return out;
}

/** Name and shape of every weight of `model`, in order: what a trainer in another thread checks against. */
export function weightShapes(model: tf.LayersModel): WeightShape[] {
  return weightEntries(model).map(({ name, variable }) => ({
    name,
    shape: [...(variable.shape as number[])],
  }));
}

export interface WeightShape {
  name: string;
  shape: number[];
}

/** Every weight of the model must be present in `tensors` with the same shape. */
export function checkWeights(expected: WeightShape[], tensors: NamedTensors): void {
  const missing = expected.filter((e) => !tensors.has(e.name)).map((e) => e.name);
  if (missing.length > 0) {
    throw new InputError(
      'WEIGHTS_MISSING',
      `the checkpoint lacks ${missing.length} weight(s) of this model (${missing.slice(0, 5).join(', ')}): was it trained with another model config?`,
    );
  }
  for (const { name, shape } of expected) {
    const t = tensors.get(name)!;
    if (t.shape.join('x') !== shape.join('x')) {
      throw new InputError(
        'WEIGHTS_SHAPE',
        `weight ${name} has shape [${t.shape}] in the checkpoint but [${shape}] in the model`,
      );
    }
  }
}

/** Loads weights by name; every model weight must be present with the same shape. */
export function setNamedWeights(model: tf.LayersModel, tensors: NamedTensors): void {
  checkWeights(weightShapes(model), tensors);
  for (const { name, variable } of weightEntries(model)) {
    const t = tensors.get(name)!;
    const value = tf.tensor(t.data, t.shape, 'float32');
    variable.write(value); // the variable takes a reference to the data; the tensor itself must go
    value.dispose();
  }
}
