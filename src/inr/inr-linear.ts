import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/index.js';
import { inrCoordinates, positionalEncoding } from './encoding.js';
import { assertPermutation } from './permutation.js';

export interface INRLinearArgs {
  name?: string;
  units: number;
  /** Weight of the linear part; 1 − α goes to the INR term. Fixed, not learned. */
  alpha: number;
  /** L, the number of sin/cos frequency pairs in γ. */
  encodingLevels: number;
  inrHidden: number;
  /** Depth of Φθ in dense layers (≥ 1). */
  inrLayers: number;
  deltaScale: number;
  /**
   * Gain on the initial weights of Φθ's last layer (default 1 = Glorot). A large gain makes Δ large from
   * the start, so training cannot quietly flatten it into a key-independent bias (measured: bench/lock-table).
   */
  initGain?: number;
  /** Start the linear kernel at 0 rather than Glorot (the linear model: see models/build.ts). */
  zeroKernel?: boolean;
  /** π from the model key (result[i] = π(i)); null means the INR is removed, Δ = 0. */
  permutation: Int32Array | number[] | null;
  /**
   * The `shuffle` lock: the layer reads x'_j = s_j · x_{σ(j)} instead of x, σ and s from the model key.
   * Null (the paper's `infl` lock, or the lock removed): x as it is.
   */
  inputShuffle?: InputShuffle | null;
  seed: number;
}

/** A signed permutation of a layer's inputs: x'_j = signs[j] · x[permutation[j]]. */
export interface InputShuffle {
  permutation: Int32Array;
  signs: Float32Array;
}

/**
 * y' = α(xW + b) + (1 − α)·deltaScale·Δ with Δ_i = Φθ(γ(c'_i)), c' from the key's permutation (INFL).
 * Under the shuffle lock x is first replaced by x'_j = s_j · x_{σ(j)} (σ, s from the key; see shuffle.ts):
 * weights trained with one key read their inputs in an order and with signs no other key reproduces.
 *
 * Weights, all trainable, named under the layer (e.g. `decoder_1/...`): `kernel` [in, units],
 * `bias` [units], then Φθ's dense layers `inr_0/kernel`, `inr_0/bias`, …, `inr_{d−1}/kernel`,
 * `inr_{d−1}/bias` (d = inrLayers). None of them depends on the key: the encoding γ(c') is a constant
 * computed from the permutation when the layer is made, and neither it nor the permutation is in
 * getConfig(). A layer restored from its config alone has no permutation (Δ = 0).
 */
export class INRLinear extends tf.layers.Layer {
  static className = 'INRLinear';
  private readonly units: number;
  private readonly alpha: number;
  private readonly encodingLevels: number;
  private readonly inrHidden: number;
  private readonly inrLayers: number;
  private readonly deltaScale: number;
  private readonly initGain: number;
  private readonly zeroKernel: boolean;
  private readonly seed: number;
  /** γ(c') row-major [units, 2L]; null when the INR is removed. */
  private readonly encodingValues: Float32Array | null;
  private encoding: tf.Tensor2D | null = null;
  private readonly shuffleValues: InputShuffle | null;
  private shuffle: KeptShuffle | null = null;
  private kernel: tf.LayerVariable | null = null;
  private bias: tf.LayerVariable | null = null;
  private inr: { kernel: tf.LayerVariable; bias: tf.LayerVariable }[] = [];

  constructor(args: INRLinearArgs) {
    super({ name: args.name });
    checkArgs(args);
    this.units = args.units;
    this.alpha = args.alpha;
    this.encodingLevels = args.encodingLevels;
    this.inrHidden = args.inrHidden;
    this.inrLayers = args.inrLayers;
    this.deltaScale = args.deltaScale;
    this.initGain = args.initGain ?? 1;
    this.zeroKernel = args.zeroKernel ?? false;
    this.seed = args.seed;
    const permutation = args.permutation ?? null;
    this.encodingValues = permutation
      ? positionalEncoding(inrCoordinates(permutation, args.units), args.encodingLevels)
      : null;
    this.shuffleValues = args.inputShuffle ?? null;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const inDim = shape[shape.length - 1];
    if (inDim == null)
      throw new InputError('INR_LAYER_ARGS', `${this.name}: the input's last dimension must be known`);
    const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
    const kernelInit = this.zeroKernel ? tf.initializers.zeros() : glorot(this.seed);
    this.kernel = this.addWeight('kernel', [inDim, this.units], 'float32', kernelInit);
    this.bias = this.addWeight('bias', [this.units], 'float32', tf.initializers.zeros());
    const widths = inrLayerWidths(2 * this.encodingLevels, this.inrHidden, this.inrLayers);
    // Glorot uniform with scale gain² = Glorot × gain (same random stream).
    const last = (seed: number) =>
      tf.initializers.varianceScaling({
        scale: this.initGain ** 2,
        mode: 'fanAvg',
        distribution: 'uniform',
        seed,
      });
    this.inr = widths.map(([from, to], k) => ({
      kernel: this.addWeight(
        `inr_${k}/kernel`,
        [from, to],
        'float32',
        (k === widths.length - 1 ? last : glorot)(this.seed + 1 + k),
      ),
      bias: this.addWeight(`inr_${k}/bias`, [to], 'float32', tf.initializers.zeros()),
    }));
    if (this.shuffleValues) {
      assertPermutation(this.shuffleValues.permutation, inDim, `${this.name} input shuffle`);
      if (this.shuffleValues.signs.length !== inDim)
        throw new InputError('INR_LAYER_ARGS', `${this.name}: ${inDim} input signs needed`);
    }
    this.inputSpec = [{ minNDim: 2, axes: { [-1]: inDim } }];
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return [...shape.slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const inDim = x.shape[x.shape.length - 1];
      const flat = this.shuffled(x.reshape([-1, inDim]));
      const linear = tf.add(tf.matMul(flat, this.kernel!.read()), this.bias!.read());
      let y = tf.mul(linear, this.alpha);
      const delta = this.delta();
      if (delta) y = tf.add(y, tf.mul(delta, (1 - this.alpha) * this.deltaScale));
      return y.reshape([...x.shape.slice(0, -1), this.units]);
    });
  }

  /** x'_j = s_j · x_{σ(j)} under the shuffle lock; x itself otherwise. */
  private shuffled(x: tf.Tensor): tf.Tensor {
    if (!this.shuffleValues) return x;
    this.shuffle ??= keepShuffle(this.shuffleValues);
    return tf.mul(this.shuffle.gather(x as tf.Tensor2D), this.shuffle.signs);
  }

  /** Δ [units] = Φθ(γ(c')), inside the graph so gradients reach θ; null when the INR is removed. */
  private delta(): tf.Tensor1D | null {
    if (!this.encodingValues) return null;
    this.encoding ??= tf.keep(tf.tensor2d(this.encodingValues, [this.units, 2 * this.encodingLevels]));
    let h: tf.Tensor2D = this.encoding;
    this.inr.forEach(({ kernel, bias }, k) => {
      h = tf.add(tf.matMul(h, kernel.read() as tf.Tensor2D), bias.read());
      if (k < this.inr.length - 1) h = tf.relu(h);
    });
    return h.as1D();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      units: this.units,
      alpha: this.alpha,
      encodingLevels: this.encodingLevels,
      inrHidden: this.inrHidden,
      inrLayers: this.inrLayers,
      deltaScale: this.deltaScale,
      initGain: this.initGain,
      seed: this.seed,
    };
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const result = super.dispose();
    if (result.refCountAfterDispose === 0) {
      this.encoding?.dispose();
      this.encoding = null;
      if (this.shuffle) tf.dispose(this.shuffle.tensors);
      this.shuffle = null;
    }
    return result;
  }
}

tf.serialization.registerClass(INRLinear);

interface KeptShuffle {
  gather: (x: tf.Tensor2D) => tf.Tensor2D;
  signs: tf.Tensor1D;
  tensors: tf.Tensor[];
}

/**
 * The shuffle's constants, kept across calls, and its column gather. Gather's own gradient needs
 * UnsortedSegmentSum, which the wasm backend lacks; a permutation's gradient is the inverse permutation.
 */
function keepShuffle(v: InputShuffle): KeptShuffle {
  const inverse = new Int32Array(v.permutation.length);
  v.permutation.forEach((p, j) => (inverse[p] = j));
  const forward = tf.keep(tf.tensor1d(v.permutation, 'int32'));
  const backward = tf.keep(tf.tensor1d(inverse, 'int32'));
  const signs = tf.keep(tf.tensor1d(v.signs));
  const gather = tf.customGrad((x) => ({
    value: tf.gather(x as tf.Tensor2D, forward, 1),
    gradFunc: (dy) => tf.gather(dy as tf.Tensor2D, backward, 1),
  })) as (x: tf.Tensor2D) => tf.Tensor2D;
  return { gather, signs, tensors: [forward, backward, signs] };
}

/** [fan-in, fan-out] of Φθ's dense layers: 2L → h → … → h → 1, or 2L → 1 when depth is 1. */
function inrLayerWidths(inputWidth: number, hidden: number, depth: number): [number, number][] {
  const widths = [inputWidth, ...Array<number>(depth - 1).fill(hidden), 1];
  return widths.slice(0, -1).map((w, k) => [w, widths[k + 1]]);
}

function checkArgs(a: INRLinearArgs): void {
  const wholes: [string, number, number][] = [
    ['units', a.units, 1],
    ['encodingLevels', a.encodingLevels, 1],
    ['inrHidden', a.inrHidden, 1],
    ['inrLayers', a.inrLayers, 1],
    ['seed', a.seed, -Infinity],
  ];
  for (const [field, value, min] of wholes) {
    if (!Number.isInteger(value) || value < min) {
      throw new InputError(
        'INR_LAYER_ARGS',
        `INRLinear ${a.name ?? ''}: ${field} must be a whole number ≥ ${min}, got ${value}`,
      );
    }
  }
  if (!(a.alpha >= 0 && a.alpha <= 1)) {
    throw new InputError(
      'INR_LAYER_ARGS',
      `INRLinear ${a.name ?? ''}: alpha must lie in [0, 1], got ${a.alpha}`,
    );
  }
  if (!Number.isFinite(a.deltaScale)) {
    throw new InputError(
      'INR_LAYER_ARGS',
      `INRLinear ${a.name ?? ''}: deltaScale must be a finite number, got ${a.deltaScale}`,
    );
  }
}
