import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { modelKeyFromBytes } from '../../src/inr/index.js';
import {
  TfjsTrainer,
  trainerFor,
  buildModel,
  parseModelConfig,
  selectBackend,
  type LabeledData,
} from '../../src/models/index.js';

// Two Gaussian blobs per class in 20 dimensions: separable, so a working loop must learn them.
function blobs(rows: number, seed: number): LabeledData {
  const cols = 20;
  const k = 3;
  const x = new Float32Array(rows * cols);
  const y = new Int32Array(rows);
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  for (let i = 0; i < rows; i++) {
    y[i] = i % k;
    for (let j = 0; j < cols; j++) x[i * cols + j] = rand() + (j % k === y[i] ? 2 : 0);
  }
  return { x, rows, cols, y };
}

function trainer(inr: boolean): TfjsTrainer {
  const config = parseModelConfig({
    inputDim: 20,
    numClasses: 3,
    embedDim: 16,
    decoderHidden: 8,
    ...(inr ? {} : { inr: null }),
  });
  // A fixed key: Δ depends on it, so a random one would make the accuracy vary from run to run.
  const key = modelKeyFromBytes(createHash('sha256').update('trainer test key').digest());
  return trainerFor(buildModel(config, { kind: 'key', key }), config);
}

describe('TfjsTrainer', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });

  it('keeps the tensor count stable across epochs and fits (no per-batch leak)', async () => {
    const t = trainer(true);
    const train = blobs(200, 1);
    const val = blobs(60, 2);
    const opts = { batchSize: 32, learningRate: 1e-2, seed: 1, patience: 100 };
    await t.fit(train, val, { ...opts, epochs: 1 }); // makes the optimizer's slots
    const after1 = tf.memory().numTensors;
    await t.fit(train, val, { ...opts, epochs: 4 });
    expect(tf.memory().numTensors).toBe(after1);
    // weights in and out (a swarm round) leak nothing either
    t.setWeights(await t.getWeights());
    expect(tf.memory().numTensors).toBe(after1);
    t.dispose();
  });

  it('learns separable data; the reported validation accuracy matches predict() on the same rows', async () => {
    const t = trainer(false); // the loop, not the INR (whose large Δ can stall a toy model at chance)
    const val = blobs(90, 4);
    const res = await t.fit(blobs(300, 3), val, {
      epochs: 15,
      batchSize: 32,
      learningRate: 1e-2,
      seed: 1,
      patience: 3,
    });
    const probs = await t.predict(val.x, val.rows);
    let correct = 0;
    for (let i = 0; i < val.rows; i++) {
      const row = Array.from(probs.subarray(i * 3, i * 3 + 3));
      if (row.indexOf(Math.max(...row)) === val.y[i]) correct++;
    }
    const best = res.history[res.bestEpoch - 1];
    expect(best.valScore).toBeCloseTo(correct / val.rows, 6); // best weights were restored
    expect(correct / val.rows).toBeGreaterThan(0.9);
    expect(res.history[res.history.length - 1].loss).toBeLessThan(res.history[0].loss);
    t.dispose();
  });
});
