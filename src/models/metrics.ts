/** Classification metrics on integer labels; pure, checked against hand-computed cases and scikit-style rules. */

export function argmaxRows(probs: Float32Array, k: number): Int32Array {
  const rows = probs.length / k;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (probs[i * k + j] > probs[i * k + best]) best = j;
    out[i] = best;
  }
  return out;
}

export function accuracy(y: Int32Array, pred: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === pred[i]) ok++;
  return y.length === 0 ? 0 : ok / y.length;
}

/** Unweighted mean of per-class F1 over classes present in labels or predictions (F1 = 0 when undefined). */
export function macroF1(y: Int32Array, pred: Int32Array, k: number): number {
  const tp = new Float64Array(k);
  const fp = new Float64Array(k);
  const fn = new Float64Array(k);
  for (let i = 0; i < y.length; i++) {
    if (y[i] === pred[i]) {
      tp[y[i]]++;
    } else {
      fp[pred[i]]++;
      fn[y[i]]++;
    }
  }
  let sum = 0;
  let n = 0;
  for (let c = 0; c < k; c++) {
    if (tp[c] + fp[c] + fn[c] === 0) continue;
    const denom = 2 * tp[c] + fp[c] + fn[c];
    sum += denom === 0 ? 0 : (2 * tp[c]) / denom;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * One-vs-rest AUROC averaged over classes that have both positives and negatives in `y`
 * (Mann–Whitney U with average ranks for ties).
 */
export function macroAuroc(y: Int32Array, probs: Float32Array, k: number): number {
  let sum = 0;
  let n = 0;
  for (let c = 0; c < k; c++) {
    const scores = Array.from(y, (_, i) => probs[i * k + c]);
    const positive = Array.from(y, (l) => l === c);
    const auc = binaryAuroc(scores, positive);
    if (auc === null) continue;
    sum += auc;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

export function binaryAuroc(scores: number[], positive: boolean[]): number | null {
  const nPos = positive.filter(Boolean).length;
  const nNeg = positive.length - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  const order = scores.map((s, i) => [s, i] as const).sort((a, b) => a[0] - b[0]);
  let rankSumPos = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1][0] === order[i][0]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) if (positive[order[t][1]]) rankSumPos += avgRank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
