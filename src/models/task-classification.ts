import * as tf from '@tensorflow/tfjs';
import { accuracy, argmaxRows, macroAuroc, macroF1 } from './metrics.js';
import {
  HEAD_LAYERS,
  type LabeledData,
  type LayerFactory,
  type PredictionContext,
  type Task,
  type TaskScores,
} from './task.js';

/** Classes: softmax over the backbone's outputs, categorical cross-entropy, accuracy / macro-F1 / AUROC. */
export class ClassificationTask implements Task {
  readonly kind = 'classification';
  readonly headline = 'accuracy';
  readonly headLayers = HEAD_LAYERS.classification;
  readonly epochScoreName = 'accuracy';
  readonly bodyUnits: number;
  readonly targetWidth: number;

  constructor(readonly numClasses: number) {
    this.bodyUnits = numClasses;
    this.targetWidth = numClasses;
  }

  head(body: tf.SymbolicTensor, _f: LayerFactory): tf.SymbolicTensor {
    return tf.layers.softmax({ name: 'probs' }).apply(body) as tf.SymbolicTensor;
  }

  targets(d: LabeledData): Float32Array {
    const k = this.numClasses;
    const out = new Float32Array(d.rows * k);
    for (let i = 0; i < d.rows; i++) out[i * k + d.y[i]] = 1;
    return out;
  }

  /** Mean categorical cross-entropy of softmax outputs, clipped as tfjs-layers' categoricalCrossentropy. */
  loss(probs: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const p = tf.clipByValue(probs, 1e-7, 1 - 1e-7);
      return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), -1))) as tf.Scalar;
    });
  }

  epochScore(probs: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(probs, 1), tf.argMax(oneHot, 1)), 'float32')));
  }

  scores(probs: Float32Array, d: LabeledData): TaskScores {
    const k = this.numClasses;
    const pred = argmaxRows(probs, k);
    return {
      headline: 'accuracy',
      values: {
        accuracy: accuracy(d.y, pred),
        macroF1: macroF1(d.y, pred, k),
        macroAuroc: macroAuroc(d.y, probs, k),
      },
    };
  }

  predictionTable(probs: Float32Array, rows: number, ctx: PredictionContext) {
    const k = this.numClasses;
    const pred = argmaxRows(probs, k);
    return {
      header: ['predicted', ...ctx.classNames.map((c) => `prob_${c}`)],
      row: (i: number) => [
        ctx.classNames[pred[i]],
        ...Array.from(probs.subarray(i * k, (i + 1) * k), (v) => v.toFixed(6)),
      ],
    };
  }
}
