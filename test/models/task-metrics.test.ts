import { describe, expect, it } from 'vitest';
import {
  adjustedRandIndex,
  kMeans,
  meanSquaredError,
  normalizedMutualInfo,
  pearson,
  perturbationMetrics,
  r2Score,
} from '../../src/models/index.js';
import { pythonMissing, runPython } from '../helpers/python.js';

// Random but fixed inputs (an LCG), so numpy/scipy/sklearn see exactly what the TypeScript sees.
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

/** Expression-like data: 4 conditions × 6 rows × 30 genes, condition effects on some genes, predictions noisy. */
function perturbationCase() {
  const rnd = lcg(11);
  const cols = 30;
  const conditions = ['ctrl', 'a', 'b', 'c'].flatMap((c) => Array<string>(6).fill(c));
  const rows = conditions.length;
  const effect = (c: string, g: number) => (c === 'ctrl' ? 0 : ((g * 7 + c.charCodeAt(0)) % 5) - 2);
  const truth = Array.from({ length: rows * cols }, (_, i) => {
    const [r, g] = [Math.floor(i / cols), i % cols];
    return 5 + effect(conditions[r], g) * (g % 3 === 0 ? 1 : 0.2) + rnd() - 0.5;
  });
  // noisy, and mirrored about the baseline on condition b's even genes (changes in the wrong direction)
  const mirrored = (i: number) => conditions[Math.floor(i / cols)] === 'b' && (i % cols) % 2 === 0;
  const pred = truth.map((v, i) => (mirrored(i) ? 10 - v : v) + (rnd() - 0.5) * 1.5);
  return { pred, truth, rows, cols, conditions };
}

describe('regression metrics', () => {
  it('MSE, R² and Pearson match numpy / scikit-learn / scipy', (ctx) => {
    const why = pythonMissing('sklearn');
    ctx.skip(why !== undefined, why);
    const rnd = lcg(3);
    const truth = Array.from({ length: 40 * 3 }, () => rnd() * 4 - 2);
    const pred = truth.map((v, i) => v * 0.7 + (i % 3) * 0.1 + rnd() - 0.5);
    const ref = runPython<{ mse: number; r2: number; r: number }>(
      `import json, sys, numpy as np
from scipy.stats import pearsonr
from sklearn.metrics import r2_score
d = json.load(sys.stdin)
t = np.array(d['truth']).reshape(-1, 3); p = np.array(d['pred']).reshape(-1, 3)
print(json.dumps({'mse': float(((p - t) ** 2).mean()), 'r2': float(r2_score(t, p)),
  'r': float(pearsonr(p[:, 0], t[:, 0])[0])}))`,
      { truth, pred },
    );
    expect(meanSquaredError(pred, truth)).toBeCloseTo(ref.mse, 10);
    expect(r2Score(pred, truth, 3)).toBeCloseTo(ref.r2, 10);
    const col0 = (v: number[]) => v.filter((_, i) => i % 3 === 0);
    expect(pearson(col0(pred), col0(truth))).toBeCloseTo(ref.r, 10);
  });

  it("GEARS' perturbation metrics match an independent numpy / scipy computation", (ctx) => {
    const why = pythonMissing('scipy');
    ctx.skip(why !== undefined, why);
    const c = perturbationCase();
    const ours = perturbationMetrics({ ...c, control: 'ctrl', topDe: 5 })!;
    // Written from GEARS' definitions (gears/inference.py): per condition the mean prediction and truth,
    // DE genes by Welch's t-test against control (scipy's ttest_ind, equal_var=False) ranked by |t|.
    const ref = runPython<Record<string, number>>(
      `import json, sys, numpy as np
from scipy.stats import ttest_ind, pearsonr
d = json.load(sys.stdin)
cols = d['cols']; cond = np.array(d['conditions'])
t = np.array(d['truth']).reshape(-1, cols); p = np.array(d['pred']).reshape(-1, cols)
ctrl = t[cond == 'ctrl'].mean(0)
out = {k: [] for k in ['mse', 'mseDe', 'pearsonDelta', 'pearsonDeltaDe', 'fracOppositeDe']}
for c in sorted(set(cond) - {'ctrl'}):
    tc, pc = t[cond == c], p[cond == c]
    stat = ttest_ind(tc, t[cond == 'ctrl'], equal_var=False).statistic
    de = np.argsort(-np.abs(stat), kind='stable')[:5]
    pm, tm = pc.mean(0), tc.mean(0)
    out['mse'].append(((pm - tm) ** 2).mean())
    out['mseDe'].append(((pm[de] - tm[de]) ** 2).mean())
    out['pearsonDelta'].append(pearsonr(pm - ctrl, tm - ctrl)[0])
    out['pearsonDeltaDe'].append(pearsonr(pm[de] - ctrl[de], tm[de] - ctrl[de])[0])
    out['fracOppositeDe'].append(np.mean(np.abs(np.sign(pm[de] - ctrl[de]) - np.sign(tm[de] - ctrl[de])) == 2))
print(json.dumps({k: float(np.mean(v)) for k, v in out.items()}))`,
      c,
    );
    expect(ours.conditions).toBe(3);
    for (const k of ['mse', 'mseDe', 'pearsonDelta', 'pearsonDeltaDe', 'fracOppositeDe'] as const)
      expect(ours[k], k).toBeCloseTo(ref[k], 8);
    expect(ours.fracOppositeDe).toBeGreaterThan(0); // the case exercises the sign rule
  });

  it('has no perturbation metrics without control rows or another condition', () => {
    const c = perturbationCase();
    expect(perturbationMetrics({ ...c, control: 'none' })).toBeNull();
    const onlyCtrl = { ...c, conditions: c.conditions.map(() => 'ctrl') };
    expect(perturbationMetrics({ ...onlyCtrl, control: 'ctrl' })).toBeNull();
  });
});

describe('clustering metrics', () => {
  it('ARI and NMI match scikit-learn, including degenerate partitions', (ctx) => {
    const why = pythonMissing('sklearn');
    ctx.skip(why !== undefined, why);
    const rnd = lcg(5);
    const truth = Array.from({ length: 60 }, () => Math.floor(rnd() * 4));
    const cases = [
      truth.map((v, i) => (i % 7 === 0 ? (v + 1) % 4 : v)), // mostly right
      truth.map(() => Math.floor(rnd() * 3)), // random
      truth.map(() => 0), // one cluster
      truth.map((_, i) => i), // singletons
    ];
    const ref = runPython<{ ari: number[]; nmi: number[] }>(
      `import json, sys
from sklearn.metrics import adjusted_rand_score as ari, normalized_mutual_info_score as nmi
d = json.load(sys.stdin)
print(json.dumps({'ari': [ari(d['t'], c) for c in d['cases']], 'nmi': [nmi(d['t'], c) for c in d['cases']]}))`,
      { t: truth, cases },
    );
    cases.forEach((c, i) => {
      expect(adjustedRandIndex(truth, c), `ARI case ${i}`).toBeCloseTo(ref.ari[i], 10);
      expect(normalizedMutualInfo(truth, c), `NMI case ${i}`).toBeCloseTo(ref.nmi[i], 10);
    });
  });

  it('k-means recovers well-separated clusters (ARI 1) and is reproducible by seed', () => {
    const rnd = lcg(9);
    const centres = [
      [0, 0],
      [10, 0],
      [0, 10],
    ];
    const truth = Array.from({ length: 90 }, (_, i) => i % 3);
    const x = truth.flatMap((c) => centres[c].map((v) => v + rnd() - 0.5));
    const labels = kMeans(x, 90, 2, { k: 3, seed: 1 });
    expect(adjustedRandIndex(truth, labels)).toBe(1);
    expect(kMeans(x, 90, 2, { k: 3, seed: 1 })).toEqual(labels);
  });
});
