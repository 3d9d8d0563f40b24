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
  /** Checked between epochs: a daemon shutting down abandons the round's training. */
  signal?: AbortSignal;
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
  predict(x: Float32Array, rows: number): Float32Array;
  getWeights(): NamedTensors;
  setWeights(weights: NamedTensors): void;
  readonly numClasses: number;
  dispose(): void;
}

export class TfjsTrainer implements Trainer {
  private compiledLr: number | null = null;

  constructor(
    private readonly model: tf.LayersModel,
    readonly numClasses: number,
  ) {}

  async fit(train: LabeledData, val: LabeledData | null, opts: TrainOptions): Promise<TrainResult> {
    this.compile(opts.learningRate);
    const rng = createRng(opts.seed);
    const history: EpochInfo[] = [];
    let best = { loss: Infinity, epoch: 0, weights: null as NamedTensors | null };
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      if (opts.signal?.aborted) throw new SwarmdError('TRAIN_ABORTED', 'training was aborted');
      const loss = await this.trainEpoch(train, opts.batchSize, rng);
      const v = val ? this.lossAndAccuracy(val) : null;
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
      if (v.loss < best.loss) best = { loss: v.loss, epoch, weights: this.getWeights() };
      else if (epoch - best.epoch >= opts.patience) break;
    }
    if (best.weights) this.setWeights(best.weights);
    return { history, bestEpoch: best.weights ? best.epoch : history.length, samples: train.rows };
  }

  predict(x: Float32Array, rows: number): Float32Array {
    const cols = x.length / rows;
    return tf
      .tidy(() => {
        const probs = this.model.predict(tf.tensor2d(x, [rows, cols]), { batchSize: 256 }) as tf.Tensor;
        return probs.dataSync() as Float32Array;
      })
      .slice();
  }

  getWeights(): NamedTensors {
    return getNamedWeights(this.model);
  }

  setWeights(weights: NamedTensors): void {
    setNamedWeights(this.model, weights);
  }

  dispose(): void {
    this.model.dispose();
  }

  private compile(learningRate: number): void {
    if (this.compiledLr === learningRate) return;
    this.model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy' });
    this.compiledLr = learningRate;
  }

  private async trainEpoch(d: LabeledData, batchSize: number, rng: () => number): Promise<number> {
    const order = shuffled(d.rows, rng);
    let total = 0;
    for (let start = 0; start < d.rows; start += batchSize) {
      const idx = order.slice(start, start + batchSize);
      const [xb, yb] = batchTensors(d, idx, this.numClasses);
      const loss = (await this.model.trainOnBatch(xb, yb)) as number;
      tf.dispose([xb, yb]);
      // trainOnBatch computes synchronously; yield so a daemon's network and status server stay responsive.
      await new Promise((resolve) => setImmediate(resolve));
      total += loss * idx.length;
    }
    return total / d.rows;
  }

  private lossAndAccuracy(d: LabeledData): { loss: number; accuracy: number } {
    const probs = this.predict(d.x, d.rows);
    let loss = 0;
    let correct = 0;
    const k = this.numClasses;
    for (let i = 0; i < d.rows; i++) {
      const row = probs.subarray(i * k, (i + 1) * k);
      loss -= Math.log(Math.max(row[d.y[i]], 1e-7));
      if (argmax(row) === d.y[i]) correct++;
    }
    return { loss: loss / d.rows, accuracy: correct / d.rows };
  }
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

function argmax(row: Float32Array): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}
