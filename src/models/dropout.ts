import * as tf from '@tensorflow/tfjs';

interface SeededDropoutArgs {
  rate: number;
  seed: number;
  name?: string;
}

/**
 * Dropout whose masks come from a seed and a call counter, so a training run is reproducible.
 * (tfjs's Dropout either uses Math.random or, given a seed, repeats the same mask on every step.)
 */
export class SeededDropout extends tf.layers.Layer {
  static className = 'SeededDropout';
  private readonly rate: number;
  private readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super({ name: args.name });
    this.rate = args.rate;
    this.seed = args.seed;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (!kwargs['training'] || this.rate === 0) return x.clone();
    return tf.tidy(() => {
      const seed = this.seed * 1_000_003 + this.calls++;
      const keep = tf.randomUniform(x.shape, 0, 1, 'float32', seed).greaterEqual(this.rate);
      return x.mul(keep.cast('float32')).div(1 - this.rate);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}

tf.serialization.registerClass(SeededDropout);
