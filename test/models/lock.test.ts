import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTrainer,
  loadCsv,
  parseModelConfig,
  prepareData,
  selectBackend,
  type ModelConfig,
  type PreparedData,
} from '../../src/models/index.js';
import type { NamedTensors } from '../../src/core/index.js';
import { lockedAccuracy as accuracy, taggedKey as key } from '../helpers/locked.js';

// The real WDBC set (569 × 30, 2 classes): a small MLP under the shuffle lock, trained with the right key.
describe('the shuffle lock on a small trained model', () => {
  let data: PreparedData;
  let config: ModelConfig;
  let weights: NamedTensors;
  let majority: number;

  beforeAll(async () => {
    await selectBackend('wasm');
    const ds = await loadCsv('data/sklearn_breast_cancer_wdbc.csv.gz');
    data = prepareData(ds, { testFraction: 0.25, valFraction: 0.15, seed: 3 });
    config = parseModelConfig({
      arch: 'mlp',
      hidden: [32, 16],
      inputDim: ds.cols,
      numClasses: 2,
      inr: { lock: 'shuffle' },
    });
    const t = createTrainer(config, { kind: 'key', key: key('right') });
    await t.fit(data.train, data.val, {
      epochs: 30,
      batchSize: 32,
      learningRate: 1e-3,
      seed: 3,
      patience: 5,
    });
    weights = await t.getWeights();
    t.dispose();
    const positives = data.test.y.reduce((s, v) => s + v, 0);
    majority = Math.max(positives, data.test.rows - positives) / data.test.rows;
  }, 120_000);

  it('is accurate with the right key', async () => {
    expect(await accuracy(config, { kind: 'key', key: key('right') }, weights, data)).toBeGreaterThan(0.85);
  });

  it('falls to the majority-class rate or below with wrong keys and with the lock removed', async () => {
    const wrong = [];
    for (const tag of ['w1', 'w2', 'w3'])
      wrong.push(await accuracy(config, { kind: 'key', key: key(tag) }, weights, data));
    const removed = await accuracy(config, { kind: 'removed' }, weights, data);
    for (const a of [...wrong, removed]) expect(a).toBeLessThanOrEqual(majority + 0.05);
    expect(tf.memory().numTensors).toBeLessThan(1000);
  });
});
