import * as tf from '@tensorflow/tfjs';
import { SwarmdError, type NamedTensors } from '../core/index.js';
import { createRng } from './split.js';
import { getNamedWeights, setNamedWeights } from './weights.js';

/** Row-major samples with integer class labels. */
export interface LabeledData {
  x: Float32Array;
  rows: number;
  cols: number;
  y: Int32Array;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  seed: number;
  /** Stop after this many epochs without a lower validation loss and restore the best; null: never. */
  patience: number | null;
  onEpoch?: (info: EpochInfo) => void;
  /** Checked between batches: a daemon shutting down abandons the round's training (an AbortSignal fits). */
  signal?: { readonly aborted: boolean };
}

export interface EpochInfo {
  epoch: number;
  epochs: number;
  loss: number;
  valLoss: number | null;
  valAccuracy: number | null;
}

export interface TrainResult {
  history: EpochInfo[];
  bestEpoch: number;
  samples: number;
}

/** What the swarm and the CLI need from a model; the tfjs one may move to a worker without changes here. */
export interface Trainer {
  fit(train: LabeledData, val: LabeledData | null, opts: TrainOptions): Promise<TrainResult>;
  /** Class probabilities, row-major [rows, numClasses]. Async: webgpu has no synchronous read in Node. */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
  getWeights(): Promise<NamedTensors>;
  readonly numClasses: number;
  setWeights(weights: NamedTensors): void;
  dispose(): void;
}

/** `auto`: 1 / (2 · training rows), scikit-learn LogisticRegression's C = 1. */
export interface L2Penalty {
  weight: number | 'auto';
  kernels: tf.LayerVariable[];
}

interface DeviceData {
  x: tf.Tensor2D;
  /** One-hot labels [rows, numClasses]. */
  y: tf.Tensor2D;
  rows: number;
}

/**
 * Trains with a hand-written Adam step rather than layers' trainOnBatch: each batch is assembled on the host
 * and uploaded (gathering batches from a device-resident data set measured ~10× slower on wasm at batch
 * 256), the validation set is uploaded once per fit, the loss is summed on the device and read once per epoch
 * (trainOnBatch reads it back after every batch, a GPU round trip per step), and nothing is allocated per
 * batch that outlives it.
 */
export class TfjsTrainer implements Trainer {
  private optimizer: { lr: number; adam: tf.Optimizer } | null = null;

  constructor(
    private readonly model: tf.LayersModel,
    readonly numClasses: number,
    /** An L2 penalty `weight · Σ w²` over these kernels, added to the training loss (not the reported one). */
    private readonly l2: L2Penalty | null = null,
  ) {}

  async fit(train: LabeledData, val: LabeledData | null, opts: TrainOptions): Promise<TrainResult> {
    const rng = createRng(opts.seed);
    const history: EpochInfo[] = [];
    const valData = val ? this.upload(val) : null;
    let best = { loss: Infinity, epoch: 0, weights: null as tf.Tensor[] | null };
    try {
      for (let epoch = 1; epoch <= opts.epochs; epoch++) {
        const loss = await this.trainEpoch(train, opts, rng);
        const v = valData ? await this.lossAndAccuracy(valData) : null;
        const info = {
          epoch,
          epochs: opts.epochs,
          loss,
          valLoss: v?.loss ?? null,
          valAccuracy: v?.accuracy ?? null,
        };
        history.push(info);
        opts.onEpoch?.(info);
        if (!v || opts.patience === null) continue;
        if (v.loss < best.loss) {
          tf.dispose(best.weights ?? []);
          best = { loss: v.loss, epoch, weights: this.model.weights.map((w) => w.read().clone()) };
        } else if (epoch - best.epoch >= opts.patience) break;
      }
      if (best.weights) this.model.weights.forEach((w, i) => w.write(best.weights![i]));
    } finally {
      tf.dispose([...(valData ? [valData.x, valData.y] : []), ...(best.weights ?? [])]);
    }
    return { history, bestEpoch: best.weights ? best.epoch : history.length, samples: train.rows };
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    const probs = tf.tidy(() => this.probabilities(tf.tensor2d(x, [rows, x.length / rows])));
    try {
      return (await probs.data()) as Float32Array;
    } finally {
      probs.dispose();
    }
  }

  getWeights(): Promise<NamedTensors> {
    return getNamedWeights(this.model);
  }

  setWeights(weights: NamedTensors): void {
    setNamedWeights(this.model, weights);
  }

  dispose(): void {
    this.model.dispose();
    this.optimizer?.adam.dispose();
    this.optimizer = null;
  }

  private probabilities(x: tf.Tensor2D): tf.Tensor2D {
    return this.model.predict(x, { batchSize: 256 }) as tf.Tensor2D;
  }

  /** One Adam per learning rate, kept across fits (its moments carry over rounds, as compile() did). */
  private adam(learningRate: number): tf.Optimizer {
    if (this.optimizer?.lr !== learningRate) {
      this.optimizer?.adam.dispose();
      this.optimizer = { lr: learningRate, adam: tf.train.adam(learningRate) };
    }
    return this.optimizer.adam;
  }

  private upload(d: LabeledData): DeviceData {
    return tf.tidy(() => ({
      x: tf.tensor2d(d.x, [d.rows, d.cols]),
      y: tf.oneHot(tf.tensor1d(d.y, 'int32'), this.numClasses).toFloat() as tf.Tensor2D,
      rows: d.rows,
    }));
  }

  private async trainEpoch(d: LabeledData, opts: TrainOptions, rng: () => number): Promise<number> {
    const adam = this.adam(opts.learningRate);
    const variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const order = shuffled(d.rows, rng);
    let total: tf.Tensor = tf.scalar(0);
    for (let start = 0; start < d.rows; start += opts.batchSize) {
      if (opts.signal?.aborted) {
        total.dispose();
        throw new SwarmdError('TRAIN_ABORTED', 'training was aborted');
      }
      const idx = order.slice(start, start + opts.batchSize);
      const next = tf.tidy(() => {
        const [xb, yb] = batchTensors(d, idx, this.numClasses);
        // minimize() disposes what its function made but the cost: keep the cross-entropy to report it.
        let ce: tf.Scalar | null = null;
        adam.minimize(
          () => {
            ce = tf.keep(crossEntropy(this.model.apply(xb, { training: true }) as tf.Tensor2D, yb));
            // A tensor of its own: minimize() disposes the cost it returns.
            return this.l2 ? tf.add(ce, this.penalty(this.l2, d.rows)) : tf.clone(ce);
          },
          false,
          variables,
        );
        const sum = tf.add(total, tf.mul(ce!, idx.length));
        tf.dispose(ce!);
        return sum;
      });
      total.dispose();
      total = next;
      // On CPU backends each step computes synchronously; yield so a daemon's network and status stay live.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const sum = (await total.data())[0];
    total.dispose();
    return sum / d.rows;
  }

  private penalty(l2: L2Penalty, rows: number): tf.Scalar {
    const sums = l2.kernels.map((k) => tf.sum(tf.square(k.read())));
    return tf.mul(tf.addN(sums), l2.weight === 'auto' ? 1 / (2 * rows) : l2.weight);
  }

  private async lossAndAccuracy(d: DeviceData): Promise<{ loss: number; accuracy: number }> {
    const [lossT, correctT] = tf.tidy(() => {
      const probs = this.probabilities(d.x);
      const hit = tf.equal(tf.argMax(probs, 1), tf.argMax(d.y, 1));
      return [crossEntropy(probs, d.y), tf.sum(tf.cast(hit, 'float32'))];
    });
    const [loss, correct] = await Promise.all([lossT.data(), correctT.data()]);
    tf.dispose([lossT, correctT]);
    return { loss: loss[0], accuracy: correct[0] / d.rows };
  }
}

/** Mean categorical cross-entropy of softmax outputs, clipped as tfjs-layers' categoricalCrossentropy. */
function crossEntropy(probs: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const p = tf.clipByValue(probs, 1e-7, 1 - 1e-7);
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.log(p)), -1))) as tf.Scalar;
  });
}

function batchTensors(d: LabeledData, idx: number[], k: number): [tf.Tensor2D, tf.Tensor2D] {
  const xb = new Float32Array(idx.length * d.cols);
  const yb = new Float32Array(idx.length * k);
  idx.forEach((r, i) => {
    xb.set(d.x.subarray(r * d.cols, (r + 1) * d.cols), i * d.cols);
    yb[i * k + d.y[r]] = 1;
  });
  return [tf.tensor2d(xb, [idx.length, d.cols]), tf.tensor2d(yb, [idx.length, k])];
}

function shuffled(n: number, rng: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
