import * as tf from '@tensorflow/tfjs';

/**
 * Layer normalisation over the last axis, y = (x − mean)·rsqrt(var + ε)·γ + β, with the weights and ε of
 * tfjs-layers' LayerNormalization (`gamma`, `beta`, 1e-3), so checkpoints load either way. It broadcasts
 * instead of tiling: tfjs-layers tiles mean, variance, γ and β to the batch shape, and tile's gradient is
 * a slice and an add per row — measured ~1,300 kernel calls per norm layer per step at batch 256.
 */
export class LayerNorm extends tf.layers.Layer {
  static className = 'SwarmdLayerNorm';
  private readonly epsilon = 1e-3;
  private gamma: tf.LayerVariable | null = null;
  private beta: tf.LayerVariable | null = null;

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const dim = shape[shape.length - 1]!;
    this.gamma = this.addWeight('gamma', [dim], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [dim], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma!.read()), this.beta!.read());
    });
  }
}

tf.serialization.registerClass(LayerNorm);
