import { beforeAll, describe, expect, it } from 'vitest';
import {
  concatRows,
  createTrainer,
  fitOnEveryRow,
  parseModelConfig,
  selectBackend,
  type LabeledData,
  type Trainer,
} from '../../src/models/index.js';

const config = parseModelConfig({ arch: 'mlp', hidden: [32], inputDim: 6, numClasses: 3, inr: null });

function data(rows: number, seed: number): LabeledData {
  const cols = 6;
  const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin((i + seed) * 12.9898) * 2);
  const y = Int32Array.from({ length: rows }, (_, i) => (i * 7 + seed) % 3);
  for (let i = 0; i < rows; i++) x[i * cols + y[i]] += 0.5;
  return { x, rows, cols, y };
}

const kernels = async (t: Trainer) => [...(await t.getWeights()).values()].map((w) => Array.from(w.data));

describe('training on every row', () => {
  beforeAll(() => selectBackend('wasm'));
  const train = data(60, 1);
  const val = data(20, 2);
  const opts = { epochs: 60, batchSize: 16, learningRate: 5e-2, seed: 5, patience: 3 };

  it('joins regression targets and conditions with the rows', () => {
    const a = {
      x: Float32Array.of(1, 2),
      rows: 1,
      cols: 2,
      y: Int32Array.of(-1),
      targets: Float32Array.of(0.5),
      conditions: ['c'],
    };
    const b = {
      x: Float32Array.of(3, 4),
      rows: 1,
      cols: 2,
      y: Int32Array.of(-1),
      targets: Float32Array.of(-1),
      conditions: ['d'],
    };
    expect(concatRows(a, b)).toMatchObject({ targets: Float32Array.of(0.5, -1), conditions: ['c', 'd'] });
  });

  it('joins rows in order, features and labels alike', () => {
    const a = { x: Float32Array.of(1, 2, 3, 4), rows: 2, cols: 2, y: Int32Array.of(0, 1) };
    const b = { x: Float32Array.of(5, 6), rows: 1, cols: 2, y: Int32Array.of(2) };
    expect(concatRows(a, b)).toEqual({
      x: Float32Array.of(1, 2, 3, 4, 5, 6),
      rows: 3,
      cols: 2,
      y: Int32Array.of(0, 1, 2),
    });
  });

  it('refits a fresh model on training + validation rows for the epoch count early stopping chose', async () => {
    let made = 0;
    const r = await fitOnEveryRow(
      () => (made++, createTrainer(config, null)),
      train,
      val,
      { ...opts, refit: true },
      async (early) => kernels(early),
    );
    // what early stopping alone gives, and a fresh model trained on all 80 rows for its best epoch count
    const early = createTrainer(config, null);
    const selection = await early.fit(train, val, opts);
    const fresh = createTrainer(config, null);
    await fresh.fit(concatRows(train, val), null, { ...opts, epochs: selection.bestEpoch, patience: null });
    expect(made).toBe(2);
    expect(selection.bestEpoch).toBeLessThan(selection.history.length); // it did stop early
    expect(r.selection).toEqual(selection);
    expect(r.refitEpochs).toBe(selection.bestEpoch);
    expect(r.selected).toEqual(await kernels(early)); // onSelected saw the early-stopped model
    expect(await kernels(r.trainer)).toEqual(await kernels(fresh));
    expect(await kernels(r.trainer)).not.toEqual(await kernels(early));
    for (const t of [r.trainer, early, fresh]) t.dispose();
  });

  it('keeps the early-stopped model without refit', async () => {
    const r = await fitOnEveryRow(
      () => createTrainer(config, null),
      train,
      val,
      { ...opts, refit: false },
      async () => null,
    );
    const early = createTrainer(config, null);
    await early.fit(train, val, opts);
    expect(r.refitEpochs).toBeNull();
    expect(await kernels(r.trainer)).toEqual(await kernels(early));
    for (const t of [r.trainer, early]) t.dispose();
  });
});
