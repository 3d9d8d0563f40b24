import { describe, expect, it } from 'vitest';
import {
  BENCH_SETS,
  SWARMD_DEFAULTS,
  benchSplit,
  firstRoundWithin,
  loadBenchSet,
  meanSd,
  runCase,
  runPythonBaselines,
  type BenchSet,
} from '../../bench/baselines/index.js';
import type { LabeledData } from '../../src/models/index.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';

const set = (name: string): BenchSet => BENCH_SETS.find((s) => s.name === name)!;

/**
 * numpy, independently of the torch fit: the gradient of scikit-learn's LogisticRegression objective
 * mean(CE) + ||W||² / (2 C n) at the returned weights (binary: one logistic output), and the test accuracy
 * those weights give.
 */
const OPTIMUM_CHECK = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
x, y = np.array(d['x'], dtype=np.float64), np.array(d['y'])
w, b = np.array(d['coef'], dtype=np.float64), np.array(d['intercept'], dtype=np.float64)
n, C = len(y), 1.0
z = x @ w.T + b
if w.shape[0] == 1:
    p = 1 / (1 + np.exp(-z[:, 0]))
    r = (p - y)[:, None]
else:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    r = e / e.sum(axis=1, keepdims=True) - np.eye(w.shape[0])[y]
grad_w = r.T @ x / n + w / (C * n)
grad_b = r.mean(axis=0)
zt = np.array(d['xt'], dtype=np.float64) @ w.T + b
pred = (zt[:, 0] > 0).astype(int) if w.shape[0] == 1 else zt.argmax(axis=1)
print(json.dumps({'grad': float(max(np.abs(grad_w).max(), np.abs(grad_b).max())),
                  'accuracy': float((pred == np.array(d['yt'])).mean())}))
`;

function matrix(d: LabeledData): number[][] {
  return Array.from({ length: d.rows }, (_, r) => Array.from(d.x.subarray(r * d.cols, (r + 1) * d.cols)));
}

function checkOptimum(
  train: LabeledData,
  test: LabeledData,
  lr: { coef?: number[][]; intercept?: number[] },
) {
  return runPython<{ grad: number; accuracy: number }>(OPTIMUM_CHECK, {
    x: matrix(train),
    y: Array.from(train.y),
    xt: matrix(test),
    yt: Array.from(test.y),
    coef: lr.coef,
    intercept: lr.intercept,
  });
}

describe('baselines table harness', () => {
  it('runs one tiny WDBC case; its logistic regression sits at the sklearn objective optimum', async (ctx) => {
    skipIfMissing(ctx, pythonMissing('torch'));
    const wdbc = set('WDBC');
    const ds = await loadBenchSet(wdbc);
    const settings = { ...SWARMD_DEFAULTS, epochs: 1, patience: 1, epochsPerRound: 1 };
    const r = await runCase(ds, wdbc, {
      seed: 1,
      settings,
      mlp: true,
      swarm: { sites: 3, rounds: 1 },
      lrWeights: true,
    });
    const { prepared, baselineTrain } = benchSplit(ds, wdbc, 1);
    expect(baselineTrain.rows).toBe(prepared.train.rows + prepared.val.rows);
    expect(r.python.lr.coef).toHaveLength(1); // binary: one logistic output, as sklearn
    const check = checkOptimum(baselineTrain, prepared.test, r.python.lr);
    expect(check.grad).toBeLessThan(1e-3);
    expect(r.python.lr.accuracy).toBeCloseTo(check.accuracy, 10);
    expect(r.python.lr.accuracy).toBeGreaterThan(0.9); // WDBC is near-linearly separable
    expect(r.python.mlp!.accuracy).toBeGreaterThan(0.9);
    expect(r.centralised.epochs).toBe(1);
    expect(r.swarm!.accuracy).toHaveLength(1);
    expect(r.swarm!.siteRows.reduce((a, b) => a + b, 0)).toBe(baselineTrain.rows);
    for (const a of [r.centralised.test, ...r.swarm!.accuracy]) expect(a).toBeGreaterThanOrEqual(0);
  });

  it('fits the multinomial logistic regression to its optimum on Khan (4 classes)', async (ctx) => {
    skipIfMissing(ctx, pythonMissing('torch'));
    const khan = set('Khan');
    const ds = await loadBenchSet(khan);
    const { prepared, baselineTrain } = benchSplit(ds, khan, 2);
    const res = await runPythonBaselines(baselineTrain, prepared.test, {
      seed: 2,
      numClasses: ds.classNames.length,
      mlp: false,
      weights: true,
    });
    expect(res.lr.coef).toHaveLength(4);
    const check = checkOptimum(baselineTrain, prepared.test, res.lr);
    expect(check.grad).toBeLessThan(1e-3);
    expect(res.lr.accuracy).toBeCloseTo(check.accuracy, 10);
  });

  it('finds the first round within 2 points and formats mean ± sample sd', () => {
    expect(firstRoundWithin([0.5, 0.9, 0.93, 0.95], 0.95)).toBe(3);
    expect(firstRoundWithin([0.5, 0.6], 0.95)).toBeNull();
    expect(meanSd([0.9, 0.92, 0.94])).toBe('92.0 ± 2.0');
  });
});
