import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { INRLinear, derivePermutation, type INRLinearArgs } from '../../src/inr/index.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';

const KEY_A = new Uint8Array(32).fill(1);
const KEY_B = new Uint8Array(32).fill(2);
const IN = 4;
const UNITS = 5;
const PERMUTATION = [3, 0, 4, 1, 2];

const tiny = (permutation: INRLinearArgs['permutation'], name = 'decoder_1'): INRLinear =>
  new INRLinear({
    name,
    units: UNITS,
    alpha: 0.3,
    encodingLevels: 3,
    inrHidden: 8,
    inrLayers: 3,
    deltaScale: 2,
    permutation,
    seed: 42,
  });

const X = (): tf.Tensor2D => tf.randomNormal([6, IN], 0, 1, 'float32', 7) as tf.Tensor2D;

/** Builds the layer and replaces every weight (zero biases too) with seeded random values. */
function builtWithRandomWeights(layer: INRLinear, seed = 11): INRLinear {
  tf.tidy(() => void layer.apply(tf.zeros([1, IN])));
  layer.setWeights(layer.getWeights().map((w, k) => tf.randomNormal(w.shape, 0, 0.5, 'float32', seed + k)));
  return layer;
}

const weightNames = (layer: tf.layers.Layer): string[] => layer.weights.map((w) => w.originalName);
const outputOf = (layer: INRLinear): Float32Array =>
  tf.tidy(() => (layer.apply(X()) as tf.Tensor).dataSync() as Float32Array);
const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number =>
  Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

// Independent reference of the DESIGN's formula in float64 numpy.
const NUMPY_INR_LINEAR = String.raw`
import json, sys
import numpy as np
req = json.load(sys.stdin)
w = {name: np.array(v, dtype=np.float64) for name, v in req["weights"].items()}
x = np.array(req["x"], dtype=np.float64)
alpha, scale, levels, depth = req["alpha"], req["deltaScale"], req["levels"], req["depth"]
y = alpha * (x @ w["kernel"] + w["bias"])
if req["permutation"] is not None:
    perm = np.array(req["permutation"], dtype=np.float64)
    n = len(perm)
    c = 2.0 * perm / (n - 1) - 1.0 if n > 1 else np.zeros(n)
    cols = []
    for l in range(levels):
        cols += [np.sin(2.0 ** l * np.pi * c), np.cos(2.0 ** l * np.pi * c)]
    h = np.stack(cols, axis=1)
    for k in range(depth):
        h = h @ w[f"inr_{k}/kernel"] + w[f"inr_{k}/bias"]
        if k < depth - 1:
            h = np.maximum(h, 0.0)
    y = y + (1.0 - alpha) * scale * h[:, 0]
print(json.dumps(y.tolist()))
`;

function numpyOutput(layer: INRLinear, permutation: number[] | null): number[][] {
  const weights = Object.fromEntries(
    layer.weights.map((w) => [w.originalName.slice('decoder_1/'.length), w.read().arraySync()]),
  );
  const x = tf.tidy(() => X().arraySync());
  return runPython<number[][]>(NUMPY_INR_LINEAR, {
    weights,
    x,
    permutation,
    alpha: 0.3,
    deltaScale: 2,
    levels: 3,
    depth: 3,
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('INRLinear', () => {
  it('names its weights under the layer, with no key material', () => {
    const layer = builtWithRandomWeights(tiny(PERMUTATION));
    expect(weightNames(layer)).toEqual([
      'decoder_1/kernel',
      'decoder_1/bias',
      'decoder_1/inr_0/kernel',
      'decoder_1/inr_0/bias',
      'decoder_1/inr_1/kernel',
      'decoder_1/inr_1/bias',
      'decoder_1/inr_2/kernel',
      'decoder_1/inr_2/bias',
    ]);
    expect(layer.weights.map((w) => w.shape)).toEqual([
      [IN, UNITS],
      [UNITS],
      [6, 8],
      [8],
      [8, 8],
      [8],
      [8, 1],
      [1],
    ]);
    expect(layer.computeOutputShape([null, IN])).toEqual([null, UNITS]);
  });

  it('matches a numpy computation of the formula with a key', (ctx) => {
    skipIfMissing(ctx, pythonMissing('numpy'));
    const layer = builtWithRandomWeights(tiny(PERMUTATION));
    const want = numpyOutput(layer, PERMUTATION).flat();
    expect(maxAbsDiff(outputOf(layer), want)).toBeLessThan(1e-5);
  });

  it('matches numpy with the INR removed (Δ = 0)', (ctx) => {
    skipIfMissing(ctx, pythonMissing('numpy'));
    const layer = builtWithRandomWeights(tiny(null));
    const want = numpyOutput(layer, null).flat();
    expect(maxAbsDiff(outputOf(layer), want)).toBeLessThan(1e-5);
  });

  it('gives different outputs for another permutation, the identity, or no INR', () => {
    const base = outputOf(builtWithRandomWeights(tiny(PERMUTATION)));
    const others = [[0, 4, 2, 3, 1], [0, 1, 2, 3, 4], null].map((p) =>
      outputOf(builtWithRandomWeights(tiny(p))),
    );
    for (const other of others) expect(maxAbsDiff(base, other)).toBeGreaterThan(1e-3);
    // A key-derived permutation differs from the identity too.
    const keyed = Array.from(derivePermutation(KEY_A, 'decoder_1', UNITS));
    const identity = [0, 1, 2, 3, 4];
    const keyedOut = outputOf(builtWithRandomWeights(tiny(keyed)));
    expect(maxAbsDiff(keyedOut, outputOf(builtWithRandomWeights(tiny(identity))))).toBeGreaterThan(1e-3);
  });

  it('has non-zero gradients for the kernel, the bias and every Φθ weight', () => {
    const layer = tiny(derivePermutation(KEY_A, 'decoder_1', UNITS));
    tf.tidy(() => void layer.apply(tf.zeros([1, IN])));
    const target = tf.randomNormal([6, UNITS], 0, 1, 'float32', 3);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => tf.losses.meanSquaredError(target, layer.apply(X()) as tf.Tensor) as tf.Scalar,
      vars,
    );
    expect(Object.keys(grads)).toHaveLength(8);
    layer.trainableWeights.forEach((w, k) => {
      const g = grads[vars[k].name];
      expect(g, w.originalName).toBeDefined();
      expect(tf.max(tf.abs(g)).dataSync()[0], w.originalName).toBeGreaterThan(0);
    });
    tf.dispose([value, target, ...Object.values(grads)]);
  });

  it('trains every weight in one fit step, and still trains without the INR', async () => {
    for (const permutation of [derivePermutation(KEY_A, 'decoder_1', UNITS), null]) {
      const input = tf.input({ shape: [IN] });
      const layer = tiny(permutation);
      const model = tf.model({ inputs: input, outputs: layer.apply(input) as tf.SymbolicTensor });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
      const before = layer.getWeights().map((w) => w.dataSync().slice());
      await model.fit(X(), tf.randomNormal([6, UNITS], 0, 1, 'float32', 5), {
        epochs: 1,
        batchSize: 6,
        verbose: 0,
      });
      const changed = layer.getWeights().map((w, k) => maxAbsDiff(w.dataSync(), before[k]) > 0);
      expect(changed).toEqual(permutation ? Array(8).fill(true) : [true, true, ...Array(6).fill(false)]);
      model.dispose();
    }
  });

  it('keeps the permutation out of its config; a layer from config alone has no INR', () => {
    const layer = tiny(PERMUTATION);
    const config = layer.getConfig();
    expect(Object.keys(config)).not.toContain('permutation');
    expect(config).toMatchObject({
      units: UNITS,
      alpha: 0.3,
      encodingLevels: 3,
      inrHidden: 8,
      inrLayers: 3,
      deltaScale: 2,
      seed: 42,
    });
    const restored = tf.serialization.SerializationMap.getMap().classNameMap['INRLinear'];
    expect(restored).toBeDefined();
    const fromConfig = INRLinear.fromConfig(INRLinear, { ...config, name: 'decoder_1' }) as INRLinear;
    const withKey = builtWithRandomWeights(layer);
    const withoutKey = builtWithRandomWeights(fromConfig);
    const removed = builtWithRandomWeights(tiny(null));
    expect(maxAbsDiff(outputOf(withoutKey), outputOf(removed))).toBe(0);
    expect(maxAbsDiff(outputOf(withoutKey), outputOf(withKey))).toBeGreaterThan(1e-3);
  });

  it('starts from the same weights whatever the key (same seed)', () => {
    const a = tiny(derivePermutation(KEY_A, 'decoder_1', UNITS));
    const b = tiny(derivePermutation(KEY_B, 'decoder_1', UNITS));
    for (const layer of [a, b]) tf.tidy(() => void layer.apply(tf.zeros([1, IN])));
    expect(weightNames(a)).toEqual(weightNames(b));
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    expect(wa).toEqual(wb);
    expect(wa[0].some((v) => v !== 0)).toBe(true);
  });

  it('frees its weights and its encoding tensor on dispose', () => {
    const before = tf.memory().numTensors;
    const layer = tiny(PERMUTATION);
    tf.tidy(() => void layer.apply(tf.ones([2, IN])));
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    layer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects a permutation of the wrong size and a bad alpha', () => {
    expect(() => tiny([0, 1, 2])).toThrow(/3 entries, expected 5/);
    expect(() => new INRLinear({ ...tinyArgs(), alpha: 1.5 })).toThrow(/alpha/);
  });
});

function tinyArgs(): INRLinearArgs {
  return {
    units: UNITS,
    alpha: 0.3,
    encodingLevels: 3,
    inrHidden: 8,
    inrLayers: 3,
    deltaScale: 2,
    permutation: null,
    seed: 1,
  };
}
