/**
 * Regression metrics on row-major [rows, cols] matrices (float64 accumulation), and the perturbation
 * metrics of GEARS (Roohani et al. 2023; snap-stanford/GEARS gears/inference.py, `compute_metrics`,
 * `deeper_analysis`, `non_dropout_analysis`). Pure; checked against numpy/scipy in a test.
 */

/** Mean squared error over every entry. */
export function meanSquaredError(pred: ArrayLike<number>, truth: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += (pred[i] - truth[i]) ** 2;
  return truth.length === 0 ? NaN : s / truth.length;
}

/**
 * R² per column (1 − SS_res / SS_tot about the column's mean), averaged over columns — scikit-learn's
 * `r2_score` with `multioutput='uniform_average'`. A constant column scores 1 when predicted exactly, else 0.
 */
export function r2Score(pred: ArrayLike<number>, truth: ArrayLike<number>, cols: number): number {
  const rows = truth.length / cols;
  let sum = 0;
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += truth[i * cols + j];
    mean /= rows;
    let res = 0;
    let tot = 0;
    for (let i = 0; i < rows; i++) {
      res += (truth[i * cols + j] - pred[i * cols + j]) ** 2;
      tot += (truth[i * cols + j] - mean) ** 2;
    }
    sum += tot === 0 ? (res === 0 ? 1 : 0) : 1 - res / tot;
  }
  return sum / cols;
}

/** Pearson correlation of two equal-length vectors; NaN when either is constant (scipy's pearsonr). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

export interface PerturbationInput {
  pred: ArrayLike<number>;
  truth: ArrayLike<number>;
  rows: number;
  /** Genes (target columns). */
  cols: number;
  /** Each row's condition. */
  conditions: string[];
  /** The control condition's name: its rows give the control mean and the reference of the t-test. */
  control: string;
  /** Top DE genes per condition (GEARS: 20). */
  topDe?: number;
}

/** GEARS' metrics, averaged over the non-control conditions present (GEARS averages per perturbation). */
export interface PerturbationMetrics {
  conditions: number;
  /** MSE of the condition's mean prediction vs mean truth over all genes (GEARS `mse`). */
  mse: number;
  /** The same over the condition's top DE genes (GEARS `mse_de`). */
  mseDe: number;
  /** Pearson of (mean prediction − control mean) and (mean truth − control mean), all genes (`pearson_delta`). */
  pearsonDelta: number;
  /** The same over the top DE genes (`pearson_delta_de`). */
  pearsonDeltaDe: number;
  /** Share of the top DE genes whose predicted change from control has the opposite sign (`frac_opposite_direction_top20_non_dropout`). */
  fracOppositeDe: number;
}

/**
 * GEARS' evaluation for one set of predictions. Per non-control condition c: the mean prediction p̄ and
 * mean truth t̄ over c's rows; the control mean t̄₀ over the control rows' truth; the top-k DE genes of c,
 * ranked by |t| of Welch's t-test of c's truth rows against the control rows (scanpy's `rank_genes_groups`
 * method `t-test`, `rankby_abs`, as GEARS computes `top_non_dropout_de_20`; GEARS also drops genes that
 * are zero in every cell first, which expression microarrays never are). NaN Pearson values count as 0, as
 * in GEARS. Returns null when no control row or no other condition is present.
 */
export function perturbationMetrics(o: PerturbationInput): PerturbationMetrics | null {
  const groups = groupRows(o.conditions);
  const controlRows = groups.get(o.control);
  if (!controlRows || controlRows.length === 0) return null;
  const others = [...groups.keys()].filter((c) => c !== o.control).sort();
  if (others.length === 0) return null;
  const controlMean = columnMeans(o.truth, o.cols, controlRows);
  const acc = { mse: 0, mseDe: 0, pearsonDelta: 0, pearsonDeltaDe: 0, fracOppositeDe: 0 };
  for (const c of others) {
    const rows = groups.get(c)!;
    const p = columnMeans(o.pred, o.cols, rows);
    const t = columnMeans(o.truth, o.cols, rows);
    const de = topDeGenes(o.truth, o.cols, rows, controlRows, o.topDe ?? 20);
    const pick = (v: Float64Array) => Float64Array.from(de, (g) => v[g]);
    const dp = p.map((v, g) => v - controlMean[g]);
    const dt = t.map((v, g) => v - controlMean[g]);
    acc.mse += meanSquaredError(p, t);
    acc.mseDe += meanSquaredError(pick(p), pick(t));
    acc.pearsonDelta += zeroIfNaN(pearson(dp, dt));
    acc.pearsonDeltaDe += zeroIfNaN(pearson(pick(dp), pick(dt)));
    acc.fracOppositeDe +=
      de.filter((g) => Math.abs(Math.sign(dp[g]) - Math.sign(dt[g])) === 2).length / de.length;
  }
  const n = others.length;
  return {
    conditions: n,
    mse: acc.mse / n,
    mseDe: acc.mseDe / n,
    pearsonDelta: acc.pearsonDelta / n,
    pearsonDeltaDe: acc.pearsonDeltaDe / n,
    fracOppositeDe: acc.fracOppositeDe / n,
  };
}

/** Welch's t statistic per gene of `rows` against `ref` (sample variances, ddof 1); the top k by |t|. */
export function topDeGenes(
  x: ArrayLike<number>,
  cols: number,
  rows: number[],
  ref: number[],
  k: number,
): number[] {
  const [ma, va] = [columnMeans(x, cols, rows), columnVariances(x, cols, rows)];
  const [mb, vb] = [columnMeans(x, cols, ref), columnVariances(x, cols, ref)];
  const t = Array.from({ length: cols }, (_, g) => {
    const se = Math.sqrt(va[g] / rows.length + vb[g] / ref.length);
    return se === 0 ? 0 : (ma[g] - mb[g]) / se;
  });
  return t
    .map((v, g) => [Math.abs(v), g] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .slice(0, Math.min(k, cols))
    .map(([, g]) => g);
}

function groupRows(conditions: string[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  conditions.forEach((c, i) => out.set(c, [...(out.get(c) ?? []), i]));
  return out;
}

function columnMeans(x: ArrayLike<number>, cols: number, rows: number[]): Float64Array {
  const m = new Float64Array(cols);
  for (const r of rows) for (let j = 0; j < cols; j++) m[j] += x[r * cols + j];
  return m.map((v) => v / rows.length);
}

function columnVariances(x: ArrayLike<number>, cols: number, rows: number[]): Float64Array {
  const m = columnMeans(x, cols, rows);
  const v = new Float64Array(cols);
  for (const r of rows) for (let j = 0; j < cols; j++) v[j] += (x[r * cols + j] - m[j]) ** 2;
  return v.map((s) => (rows.length > 1 ? s / (rows.length - 1) : 0));
}

function zeroIfNaN(v: number): number {
  return Number.isNaN(v) ? 0 : v;
}
