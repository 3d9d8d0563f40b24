import { createHash } from 'node:crypto';
import type { NamedTensors } from '../../src/core/index.js';
import { modelKeyFromBytes, type ModelKey } from '../../src/inr/index.js';
import {
  createTrainer,
  score,
  type InrMode,
  type ModelConfig,
  type PreparedData,
} from '../../src/models/index.js';

/** A model key derived from a tag, so a test's keys are fixed and distinct. */
export function taggedKey(tag: string): ModelKey {
  return modelKeyFromBytes(createHash('sha256').update(`lock test ${tag}`).digest());
}

/** Test-split accuracy of trained weights loaded into a model built with `inr` (a key, or the lock removed). */
export async function lockedAccuracy(
  config: ModelConfig,
  inr: InrMode,
  weights: NamedTensors,
  data: PreparedData,
): Promise<number> {
  const t = createTrainer(config, inr);
  try {
    t.setWeights(weights);
    return (await score(t, data.test)).accuracy;
  } finally {
    t.dispose();
  }
}
