import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/index.js';
import { INRLinear, deriveInputShuffle, derivePermutation, type ModelKey } from '../inr/index.js';
import { inrLayerNames, linearLayerNames, type ModelArch, type ModelConfig } from './config.js';
import { createTask } from './create-task.js';
import { SeededDropout } from './dropout.js';
import { LayerNorm } from './layer-norm.js';
import { layersBody } from './layers-body.js';
import type { LayerFactory, Task } from './task.js';
import { TfjsTrainer, type Trainer } from './trainer.js';
import { layerKernels } from './weights.js';

/**
 * How the INR layers get their coordinates: from the model key (the normal case), or removed (Δ = 0, the
 * "INR stripped" evaluation). A wrong key is just another ModelKey.
 */
export type InrMode = { kind: 'key'; key: ModelKey } | { kind: 'removed' };

/** Builds the tfjs model of `config`: its backbone, then its task's head; INR layers take their permutation from `inr`. */
export function buildModel(
  config: ModelConfig,
  inr: InrMode | null,
  task: Task = createTask(config),
): tf.LayersModel {
  checkInrLayers(config);
  const f = layerFactory(config, inr);
  const input = tf.input({ shape: [config.inputDim], name: 'features' });
  const units = task.bodyUnits;
  const bodies: Record<ModelArch, () => tf.SymbolicTensor> = {
    linear: () => f.linear('output', units, input, true),
    mlp: () => mlpBody(config, f, input, units),
    proteomics: () => proteomicsBody(config, f, input, units),
    layers: () => layersBody(config.layers, f, input, units),
  };
  const body = bodies[config.arch]();
  return tf.model({ inputs: input, outputs: task.head(body, f), name: config.arch });
}

/** A trainer over a fresh model of `config` (its own tfjs memory: `dispose()` it). */
export function createTrainer(config: ModelConfig, inr: InrMode | null): Trainer {
  const task = createTask(config);
  return trainerFor(buildModel(config, inr, task), config, task);
}

/** The trainer of a model built from `config`, with the config's L2 penalty (the one place that reads it). */
export function trainerFor(
  model: tf.LayersModel,
  config: ModelConfig,
  task = createTask(config),
): TfjsTrainer {
  const l2 =
    config.l2 !== 0 ? { weight: config.l2, kernels: layerKernels(model, linearLayerNames(config)) } : null;
  return new TfjsTrainer(model, task, l2);
}

/** Paper's classifier: embedding, residual blocks (Linear–norm–ReLU–dropout–Linear + skip), decoder. */
function proteomicsBody(
  c: ModelConfig,
  f: LayerFactory,
  input: tf.SymbolicTensor,
  units: number,
): tf.SymbolicTensor {
  let h = f.linear('embed', c.embedDim, input);
  for (let b = 1; b <= c.blocks; b++) {
    let r = f.linear(`block${b}_fc1`, c.embedDim, h);
    r = new LayerNorm({ name: `block${b}_norm` }).apply(r) as tf.SymbolicTensor;
    r = tf.layers.reLU({ name: `block${b}_relu` }).apply(r) as tf.SymbolicTensor;
    r = f.dropout(`block${b}_dropout`, r);
    r = f.linear(`block${b}_fc2`, c.embedDim, r);
    h = tf.layers.add({ name: `block${b}_skip` }).apply([h, r]) as tf.SymbolicTensor;
  }
  let d = f.linear('decoder_1', c.decoderHidden, h);
  d = tf.layers.reLU({ name: 'decoder_relu' }).apply(d) as tf.SymbolicTensor;
  d = f.dropout('decoder_dropout', d);
  return f.linear('decoder_2', units, d);
}

function mlpBody(
  c: ModelConfig,
  f: LayerFactory,
  input: tf.SymbolicTensor,
  units: number,
): tf.SymbolicTensor {
  let h = input;
  c.hidden.forEach((units, i) => {
    h = f.linear(`hidden_${i + 1}`, units, h);
    h = tf.layers.reLU({ name: `hidden_${i + 1}_relu` }).apply(h) as tf.SymbolicTensor;
    h = f.dropout(`hidden_${i + 1}_dropout`, h);
  });
  return f.linear('output', units, h);
}

function layerFactory(c: ModelConfig, inr: InrMode | null): LayerFactory {
  const inrLayers = new Set(inrLayerNames(c));
  let layerIndex = 0;
  return {
    // Zero kernels for the linear model: with far more features than rows a random start stays in the
    // weights (the gradient only spans the training rows) and adds noise to every prediction.
    linear(name, units, x, zeroKernel = false) {
      const seed = c.seed * 7919 + 100 * layerIndex++; // INRLinear uses seed+1.. for Φθ
      if (c.inr && inrLayers.has(name)) {
        if (!inr)
          throw new InputError('MODEL_NEEDS_KEY', `layer ${name} is an INR layer: a model key is required`);
        const key = inr.kind === 'key' ? inr.key.key : null;
        const permutation = key ? derivePermutation(key, name, units) : null;
        const inDim = x.shape[x.shape.length - 1]!;
        const inputShuffle = key && c.inr.lock === 'shuffle' ? deriveInputShuffle(key, name, inDim) : null;
        return new INRLinear({
          name,
          units,
          alpha: c.inr.alpha,
          encodingLevels: c.inr.encodingLevels,
          inrHidden: c.inr.hidden,
          inrLayers: c.inr.depth,
          deltaScale: c.inr.deltaScale,
          initGain: c.inr.initGain,
          permutation,
          inputShuffle,
          zeroKernel,
          seed,
        }).apply(x) as tf.SymbolicTensor;
      }
      return tf.layers
        .dense({
          name,
          units,
          kernelInitializer: zeroKernel ? tf.initializers.zeros() : tf.initializers.glorotUniform({ seed }),
        })
        .apply(x) as tf.SymbolicTensor;
    },
    dropout(name, x, rate = c.dropout) {
      return new SeededDropout({ name, rate, seed: c.seed * 104729 + layerIndex++ }).apply(
        x,
      ) as tf.SymbolicTensor;
    },
  };
}

function checkInrLayers(c: ModelConfig): void {
  if (!c.inr) return;
  const known = linearLayerNames(c);
  const unknown = inrLayerNames(c).filter((l) => !known.includes(l));
  if (unknown.length > 0) {
    throw new InputError(
      'MODEL_BAD_INR_LAYER',
      `inr.layers names ${unknown.join(', ')}, which the ${c.arch} model does not have; its linear layers are ${known.join(', ')}`,
    );
  }
}
