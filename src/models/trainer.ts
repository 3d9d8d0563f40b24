import * as tf from '@tensorflow/tfjs';
import { SwarmdError, type NamedTensors } from '../core/index.js';
import { createRng } from './split.js';
import type { LabeledData, Task } from './task.js';
import { getNamedWeights, setNamedWeights } from './weights.js';

export type { LabeledData } from './task.js';

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
  /** The task's epoch score on the validation rows (accuracy, or R²: Task.epochScoreName). */
  valScore: number | null;
}

export interface TrainResult {
  history: EpochInfo[];
  bestEpoch: number;
  samples: number;
}

/** What the swarm and the CLI need from a model; the tfjs one may move to a worker without changes here. */
export interface Trainer {
  fit(train: LabeledData, val: LabeledData | null, opts: TrainOptions): Promise<TrainResult>;
  /** The model's outputs, row-major (the task's: class probabilities, targets, code ‖ reconstruction). Async: webgpu has no synchronous read in Node. */
  predict(x: Float32Array, rows: number): Promise<Float32Array>;
  getWeights(): Promise<NamedTensors>;
  /** What the model learns: its loss, targets and scores. */
  readonly task: Task;
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
  /** The task's targets [rows, targetWidth]. */
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
    readonly task: Task,
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
        const v = valData ? await this.lossAndScore(valData) : null;
        const info = {
          epoch,
          epochs: opts.epochs,
          loss,
          valLoss: v?.loss ?? null,
          valScore: v?.score ?? null,
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
    return {
      x: tf.tensor2d(d.x, [d.rows, d.cols]),
      y: tf.tensor2d(this.task.targets(d), [d.rows, this.task.targetWidth]),
      rows: d.rows,
    };
  }

  private async trainEpoch(d: LabeledData, opts: TrainOptions, rng: () => number): Promise<number> {
    const adam = this.adam(opts.learningRate);
    const variables = this.model.trainableWeights.map((w) => w.read() as tf.Variable);
    const order = shuffled(d.rows, rng);
    const targets = { values: this.task.targets(d), width: this.task.targetWidth };
    let total: tf.Tensor = tf.scalar(0);
    for (let start = 0; start < d.rows; start += opts.batchSize) {
      if (opts.signal?.aborted) {
        total.dispose();
        throw new SwarmdError('TRAIN_ABORTED', 'training was aborted');
      }
      const idx = order.slice(start, start + opts.batchSize);
      const next = tf.tidy(() => {
        const [xb, yb] = batchTensors(d, targets, idx);
        // minimize() disposes what its function made but the cost: keep the task's loss to report it.
        let ce: tf.Scalar | null = null;
        adam.minimize(
          () => {
            ce = tf.keep(this.task.loss(this.model.apply(xb, { training: true }) as tf.Tensor2D, yb));
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

  private async lossAndScore(d: DeviceData): Promise<{ loss: number; score: number }> {
    const [lossT, scoreT] = tf.tidy(() => {
      const out = this.probabilities(d.x);
      return [this.task.loss(out, d.y), this.task.epochScore(out, d.y)];
    });
    const [loss, score] = await Promise.all([lossT.data(), scoreT.data()]);
    tf.dispose([lossT, scoreT]);
    return { loss: loss[0], score: score[0] };
  }
}

function batchTensors(
  d: LabeledData,
  t: { values: Float32Array; width: number },
  idx: number[],
): [tf.Tensor2D, tf.Tensor2D] {
  const xb = new Float32Array(idx.length * d.cols);
  const yb = new Float32Array(idx.length * t.width);
  idx.forEach((r, i) => {
    xb.set(d.x.subarray(r * d.cols, (r + 1) * d.cols), i * d.cols);
    yb.set(t.values.subarray(r * t.width, (r + 1) * t.width), i * t.width);
  });
  return [tf.tensor2d(xb, [idx.length, d.cols]), tf.tensor2d(yb, [idx.length, t.width])];
}

function shuffled(n: number, rng: () => number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
