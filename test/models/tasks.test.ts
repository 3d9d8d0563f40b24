import { beforeAll, describe, expect, it } from 'vitest';
import {
  createTrainer,
  parseModelConfig,
  r2Score,
  selectBackend,
  splitTargets,
  type LabeledData,
} from '../../src/models/index.js';

/** y₁ = 2·x₀ − x₁, y₂ = x₂ + 0.5·x₃ (plus a little noise), from 6 features. */
function linearTargets(rows: number, seed: number): LabeledData {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const cols = 6;
  const x = Float32Array.from({ length: rows * cols }, () => rnd() * 2);
  const targets = new Float32Array(rows * 2);
  for (let i = 0; i < rows; i++) {
    const f = (j: number) => x[i * cols + j];
    targets[i * 2] = 2 * f(0) - f(1) + rnd() * 0.05;
    targets[i * 2 + 1] = f(2) + 0.5 * f(3) + rnd() * 0.05;
  }
  return { x, rows, cols, y: new Int32Array(rows).fill(-1), targets };
}

describe('the regression task', () => {
  beforeAll(() => selectBackend('wasm'));
  const config = (loss: 'mse' | 'huber') =>
    parseModelConfig({
      arch: 'linear',
      task: 'regression',
      targets: ['a', 'b'],
      numClasses: 2,
      loss,
      inputDim: 6,
      inr: null,
      l2: 0,
    });

  for (const loss of ['mse', 'huber'] as const) {
    it(`fits linear targets with ${loss}: the epoch R² is the R² of predict()`, async () => {
      const t = createTrainer(config(loss), null);
      const val = linearTargets(100, 2);
      const res = await t.fit(linearTargets(400, 1), val, {
        epochs: 60,
        batchSize: 32,
        learningRate: 3e-2,
        seed: 1,
        patience: null,
      });
      const out = await t.predict(val.x, val.rows);
      expect(res.history.at(-1)!.valScore).toBeCloseTo(r2Score(out, val.targets!, 2), 4);
      expect(r2Score(out, val.targets!, 2)).toBeGreaterThan(0.98);
      const s = t.task.scores(out, val);
      expect(s.headline).toBe('r2');
      expect(s.values.pearson).toBeGreaterThan(0.99);
      t.dispose();
    });
  }

  it('refuses a regression config without targets, and a classifier with one class', () => {
    expect(() => parseModelConfig({ task: 'regression', numClasses: 1, inputDim: 3 })).toThrow(/targets/);
    expect(() => parseModelConfig({ numClasses: 1, inputDim: 3 })).toThrow(/at least 2 classes/);
  });

  it('splits the named target columns out of the features, in the order named', () => {
    const d = { x: Float32Array.of(1, 2, 3, 4, 5, 6), rows: 2, cols: 3, y: Int32Array.of(-1, -1) };
    const s = splitTargets(d, ['p', 'q', 'r'], ['r', 'p']);
    expect(s).toMatchObject({ cols: 1, x: Float32Array.of(2, 5), targets: Float32Array.of(3, 1, 6, 4) });
    expect(() => splitTargets(d, ['p', 'q', 'r'], ['z'])).toThrow(/lacks the target column\(s\) z/);
  });
});

describe('the embedding task', () => {
  beforeAll(() => selectBackend('wasm'));

  it('outputs [code ‖ reconstruction], trains on reconstruction only, and scores clusters against labels', async () => {
    const inputDim = 6;
    const config = parseModelConfig({
      arch: 'mlp',
      hidden: [16],
      task: 'embedding',
      embeddingDim: 2,
      numClasses: 3,
      inputDim,
      inr: null,
    });
    const t = createTrainer(config, null);
    // three well-separated groups in 6 dimensions
    const rows = 150;
    const y = Int32Array.from({ length: rows }, (_, i) => i % 3);
    const x = Float32Array.from({ length: rows * inputDim }, (_, k) => {
      const [i, j] = [Math.floor(k / inputDim), k % inputDim];
      return (j % 3 === y[i] ? 3 : 0) + Math.sin(k * 12.9898) * 0.3;
    });
    const d = { x, rows, cols: inputDim, y };
    const res = await t.fit(d, d, { epochs: 80, batchSize: 32, learningRate: 1e-2, seed: 1, patience: null });
    const out = await t.predict(x, rows);
    expect(out.length).toBe(rows * (2 + inputDim));
    expect(res.history.at(-1)!.valScore).toBeGreaterThan(0.8); // reconstruction R²
    const s = t.task.scores(out, d);
    expect(s.headline).toBe('ari');
    expect(s.values.ari).toBeGreaterThan(0.9);
    const table = t.task.predictionTable(out, rows, { classNames: [], targetScale: null });
    expect(table.header).toEqual(['embedding_1', 'embedding_2']);
    expect(table.row(0).map(Number)).toEqual(Array.from(out.subarray(0, 2), (v) => Number(v.toPrecision(7))));
    t.dispose();
  });
});
