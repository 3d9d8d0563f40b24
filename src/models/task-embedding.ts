import * as tf from '@tensorflow/tfjs';
import { adjustedRandIndex, kMeans, normalizedMutualInfo } from './cluster-metrics.js';
import { r2Score } from './regression-metrics.js';
import {
  HEAD_LAYERS,
  type LabeledData,
  type LayerFactory,
  type PredictionContext,
  type Task,
  type TaskScores,
} from './task.js';

/**
 * A shared embedding: an autoencoder whose code is the backbone's last linear layer (`embeddingDim` wide)
 * and whose decoder is one linear layer back to the features, trained on reconstruction MSE. Chosen over a
 * contrastive objective because it needs no augmentations or negative pairs (omics rows have no natural
 * "views"), trains under FedAvg like any regression, and its linear decoder keeps the code's geometry
 * PCA-like (a linear autoencoder spans the principal subspace), which is what k-means then clusters. The
 * model outputs [code ‖ reconstruction] in one tensor, so training, predict() and the training thread need
 * nothing new: the loss reads the reconstruction, `infer --embed` writes the code.
 */
export class EmbeddingTask implements Task {
  readonly kind = 'embedding';
  /** ARI where labels give the clusters a truth (k ≥ 2), else how well the code reconstructs. */
  readonly headline: string;
  readonly headLayers = HEAD_LAYERS.embedding;
  readonly epochScoreName = 'r2';
  readonly bodyUnits: number;
  readonly targetWidth: number;

  constructor(
    readonly embeddingDim: number,
    readonly inputDim: number,
    /** k of the k-means that scores the embedding against labels. */
    private readonly clusters: number,
    private readonly seed: number,
  ) {
    this.bodyUnits = embeddingDim;
    this.targetWidth = inputDim;
    this.headline = clusters >= 2 ? 'ari' : 'reconstructionR2';
  }

  head(code: tf.SymbolicTensor, f: LayerFactory): tf.SymbolicTensor {
    const reconstruction = f.linear('reconstruction', this.inputDim, code);
    return tf.layers
      .concatenate({ name: 'code_and_reconstruction' })
      .apply([code, reconstruction]) as tf.SymbolicTensor;
  }

  targets(d: LabeledData): Float32Array {
    return d.x;
  }

  loss(out: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => tf.mean(tf.squaredDifference(this.reconstruction(out), x))) as tf.Scalar;
  }

  epochScore(out: tf.Tensor2D, x: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const res = tf.sum(tf.squaredDifference(x, this.reconstruction(out)));
      const tot = tf.sum(tf.squaredDifference(x, tf.mean(x, 0)));
      return tf.sub(1, tf.div(res, tf.maximum(tot, 1e-12)));
    }) as tf.Scalar;
  }

  /** The code of each row, row-major [rows, embeddingDim]. */
  codes(out: Float32Array, rows: number): Float32Array {
    const w = this.embeddingDim + this.inputDim;
    const code = new Float32Array(rows * this.embeddingDim);
    for (let i = 0; i < rows; i++)
      code.set(out.subarray(i * w, i * w + this.embeddingDim), i * this.embeddingDim);
    return code;
  }

  /** k-means (k = the label classes) on the code, ARI and NMI against the labels where every row has one. */
  scores(out: Float32Array, d: LabeledData): TaskScores {
    const w = this.embeddingDim + this.inputDim;
    const recon = Float32Array.from({ length: d.rows * this.inputDim }, (_, i) => {
      const [r, j] = [Math.floor(i / this.inputDim), i % this.inputDim];
      return out[r * w + this.embeddingDim + j];
    });
    const values: Record<string, number> = { reconstructionR2: r2Score(recon, d.x, this.inputDim) };
    const labelled = d.rows > 0 && d.y.length === d.rows && d.y.every((l) => l >= 0);
    if (!labelled || this.clusters < 2) return { headline: 'reconstructionR2', values };
    const clusters = kMeans(this.codes(out, d.rows), d.rows, this.embeddingDim, {
      k: this.clusters,
      seed: this.seed,
    });
    return {
      headline: 'ari',
      values: { ari: adjustedRandIndex(d.y, clusters), nmi: normalizedMutualInfo(d.y, clusters), ...values },
    };
  }

  predictionTable(out: Float32Array, rows: number, _ctx: PredictionContext) {
    const code = this.codes(out, rows);
    const m = this.embeddingDim;
    return {
      header: Array.from({ length: m }, (_, j) => `embedding_${j + 1}`),
      row: (i: number) => Array.from(code.subarray(i * m, (i + 1) * m), (v) => v.toPrecision(7)),
    };
  }

  private reconstruction(out: tf.Tensor2D): tf.Tensor2D {
    return tf.slice(out, [0, this.embeddingDim], [-1, this.inputDim]);
  }
}
