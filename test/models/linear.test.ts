import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultLearningRate } from '../../src/core/index.js';
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

describe('the linear model config', () => {
  const base = { arch: 'linear', inputDim: 5, numClasses: 3 } as const;

  it('takes the shuffle lock when none is named, and refuses infl (which would not lock it)', () => {
    expect(parseModelConfig(base).inr?.lock).toBe('shuffle');
    expect(parseModelConfig({ ...base, inr: { alpha: 0.7 } }).inr).toMatchObject({
      lock: 'shuffle',
      alpha: 0.7,
    });
    expect(() => parseModelConfig({ ...base, inr: { lock: 'infl' } })).toThrow(/inr\.lock.*shuffle/);
    expect(parseModelConfig({ ...base, arch: 'proteomics' }).inr?.lock).toBe('shuffle');
  });

  it('is one layer from the features to the classes, its kernel starting at zero', async () => {
    await selectBackend('wasm');
    const t = createTrainer(parseModelConfig({ ...base, inr: null }), null);
    const w = await t.getWeights();
    t.dispose();
    expect([...w.keys()]).toEqual(['output/kernel', 'output/bias']);
    expect(w.get('output/kernel')!.shape).toEqual([5, 3]);
    expect(w.get('output/kernel')!.data.every((v) => v === 0)).toBe(true);
  });
});

// The L2 penalty, checked against its optimum: for softmax regression with mean cross-entropy plus
// l2 · Σ w², the gradient Xᵀ(P − Y)/n + 2 · l2 · W is zero at the fit; computed here from predict().
describe('the linear model with an L2 penalty', () => {
  it('converges to where the penalised gradient is zero, leaking no tensors', async () => {
    await selectBackend('wasm');
    const n = 120;
    const d = 6;
    const k = 3;
    const x = new Float32Array(n * d);
    const y = new Int32Array(n);
    let s = 7;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (let i = 0; i < n; i++) {
      y[i] = i % k;
      for (let j = 0; j < d; j++) x[i * d + j] = rand() + (j === y[i] ? 1 : 0);
    }
    const l2 = 0.05;
    const t = createTrainer(
      parseModelConfig({ arch: 'linear', l2, inr: null, inputDim: d, numClasses: k }),
      null,
    );
    const opts = { batchSize: n, learningRate: 0.02, seed: 1, patience: null };
    await t.fit({ x, y, rows: n, cols: d }, null, { ...opts, epochs: 1 });
    const tensors = tf.memory().numTensors;
    await t.fit({ x, y, rows: n, cols: d }, null, { ...opts, epochs: 500 });
    expect(tf.memory().numTensors).toBe(tensors);
    const p = await t.predict(x, n);
    const w = (await t.getWeights()).get('output/kernel')!.data;
    t.dispose();
    let gradNorm = 0;
    let penaltyNorm = 0;
    for (let j = 0; j < d; j++)
      for (let c = 0; c < k; c++) {
        let g = 0;
        for (let i = 0; i < n; i++) g += (x[i * d + j] * (p[i * k + c] - (y[i] === c ? 1 : 0))) / n;
        gradNorm += (g + 2 * l2 * w[j * k + c]) ** 2;
        penaltyNorm += (2 * l2 * w[j * k + c]) ** 2;
      }
    expect(Math.sqrt(penaltyNorm)).toBeGreaterThan(0.05);
    expect(Math.sqrt(gradNorm)).toBeLessThan(0.02 * Math.sqrt(penaltyNorm));
  });
});

// Khan (63 × 2308, 4 classes): the small, wide case the linear model is for. Trained with the right key,
// it must be accurate; wrong keys and the removed lock must fall to about the majority rate.
describe('the linear model on a small, wide real set', () => {
  let data: PreparedData;
  let config: ModelConfig;
  let weights: NamedTensors;
  let majority: number;

  beforeAll(async () => {
    await selectBackend('wasm');
    const ds = await loadCsv('data/datamicroarray_khan.csv.gz');
    data = prepareData(ds, { testFraction: 0.3, valFraction: 0.15, seed: 1 });
    config = parseModelConfig({ arch: 'linear', inputDim: ds.cols, numClasses: 4 });
    const t = createTrainer(config, { kind: 'key', key: key('right') });
    const learningRate = defaultLearningRate('linear');
    await t.fit(data.train, data.val, { epochs: 60, batchSize: 32, learningRate, seed: 1, patience: null });
    weights = await t.getWeights();
    t.dispose();
    const counts = [0, 0, 0, 0];
    for (const y of data.test.y) counts[y]++;
    majority = Math.max(...counts) / data.test.rows;
  }, 60_000);

  it('trains to high accuracy with the right key', async () => {
    const right = await accuracy(config, { kind: 'key', key: key('right') }, weights, data);
    expect(right).toBeGreaterThanOrEqual(0.85);
  });

  it('falls to about chance with wrong keys and with the lock removed', async () => {
    // A wrong key is a random signed permutation of the genes, a random linear read-out of Khan's four
    // tight clusters: one key's accuracy on 19 rows scatters (measured 10–58 %; chance 25 %, majority 37 %),
    // the mean over keys sits at chance.
    const right = await accuracy(config, { kind: 'key', key: key('right') }, weights, data);
    const wrong = [];
    for (let i = 1; i <= 8; i++)
      wrong.push(await accuracy(config, { kind: 'key', key: key(`w${i}`) }, weights, data));
    const removed = await accuracy(config, { kind: 'removed' }, weights, data);
    expect(wrong.reduce((a, b) => a + b, 0) / wrong.length).toBeLessThanOrEqual(majority);
    expect(removed).toBeLessThanOrEqual(majority + 0.11);
    for (const a of wrong) expect(a).toBeLessThan(right - 0.25);
  });
});
