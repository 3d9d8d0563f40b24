import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/index.js';
import { meanSquaredError, pearson, perturbationMetrics, r2Score } from './regression-metrics.js';
import {
  HEAD_LAYERS,
  type LabeledData,
  type LayerFactory,
  type PredictionContext,
  type RegressionLoss,
  type Task,
  type TaskScores,
} from './task.js';

/**
 * Numeric targets: the backbone's outputs as they are, trained on the targets standardised with the
 * swarm's shared round-0 statistics (so every target weighs alike and the scale is the swarm's, not a
 * site's); `swarmd infer` un-standardises. MSE, or Huber (δ = 1 standard deviation) against outliers.
 * Scores on the standardised scale: MSE, mean R² over targets, mean Pearson over targets, and GEARS'
 * perturbation metrics when rows carry conditions and the config names the control condition.
 */
export class RegressionTask implements Task {
  readonly kind = 'regression';
  readonly headline = 'r2';
  readonly headLayers = HEAD_LAYERS.regression;
  readonly epochScoreName = 'r2';
  readonly bodyUnits: number;
  readonly targetWidth: number;

  constructor(
    readonly targetNames: string[],
    private readonly lossName: RegressionLoss,
    private readonly control: string | null,
  ) {
    this.bodyUnits = targetNames.length;
    this.targetWidth = targetNames.length;
  }

  head(body: tf.SymbolicTensor, _f: LayerFactory): tf.SymbolicTensor {
    return body;
  }

  targets(d: LabeledData): Float32Array {
    if (!d.targets || d.targets.length !== d.rows * this.targetWidth)
      throw new InputError('NO_TARGETS', `regression rows need ${this.targetWidth} target value(s) per row`);
    return d.targets;
  }

  loss(out: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() =>
      this.lossName === 'huber'
        ? tf.losses.huberLoss(target, out, undefined, 1, tf.Reduction.MEAN)
        : tf.mean(tf.squaredDifference(out, target)),
    ) as tf.Scalar;
  }

  /** Mean over targets of 1 − SS_res / SS_tot (a constant target column counts SS_tot as tiny, not 0). */
  epochScore(out: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const res = tf.sum(tf.squaredDifference(target, out), 0);
      const tot = tf.sum(tf.squaredDifference(target, tf.mean(target, 0)), 0);
      return tf.mean(tf.sub(1, tf.div(res, tf.maximum(tot, 1e-12))));
    }) as tf.Scalar;
  }

  scores(out: Float32Array, d: LabeledData): TaskScores {
    const t = this.targets(d);
    const m = this.targetWidth;
    const column = (v: Float32Array, j: number) =>
      Float64Array.from({ length: d.rows }, (_, i) => v[i * m + j]);
    let r = 0;
    for (let j = 0; j < m; j++) r += pearson(column(out, j), column(t, j));
    const values: Record<string, number> = {
      r2: r2Score(out, t, m),
      mse: meanSquaredError(out, t),
      pearson: r / m,
    };
    const gears =
      this.control !== null && d.conditions
        ? perturbationMetrics({
            pred: out,
            truth: t,
            rows: d.rows,
            cols: m,
            conditions: d.conditions,
            control: this.control,
          })
        : null;
    if (gears) {
      values.gearsMse = gears.mse;
      values.gearsMseDe = gears.mseDe;
      values.gearsPearsonDelta = gears.pearsonDelta;
      values.gearsPearsonDeltaDe = gears.pearsonDeltaDe;
      values.gearsFracOppositeDe = gears.fracOppositeDe;
    }
    return { headline: 'r2', values };
  }

  predictionTable(out: Float32Array, rows: number, ctx: PredictionContext) {
    const m = this.targetWidth;
    const scale = ctx.targetScale ?? { mean: Array<number>(m).fill(0), std: Array<number>(m).fill(1) };
    return {
      header: this.targetNames.map((n) => `predicted_${n}`),
      row: (i: number) =>
        Array.from({ length: m }, (_, j) => (out[i * m + j] * scale.std[j] + scale.mean[j]).toPrecision(7)),
    };
  }
}
