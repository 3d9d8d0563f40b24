// One data set's lock measurements: plain, right key, wrong keys, INR removed, and the fine-tune attack.
import { createHash } from 'node:crypto';
import type { NamedTensors } from '../../src/core/index.js';
import { modelKeyFromBytes, type ModelKey } from '../../src/inr/index.js';
import {
  createRng,
  createTrainer,
  score,
  shuffle,
  type InrMode,
  type LabeledData,
  type ModelConfig,
} from '../../src/models/index.js';

export interface StudyOptions {
  seed: number;
  epochs: number;
  /** Early stopping on the validation loss. */
  patience: number | null;
  /** Adam steps of every fine-tune and scratch run (epochs = steps ÷ batches per epoch). */
  attackSteps: number;
  wrongKeys: number;
  ks: number[];
}

export interface AttackResult {
  k: number;
  /** Samples the attacker holds (k per class, fewer where a class is small) and rows scored. */
  shots: number;
  scored: number;
  stolenRandomKey: number;
  stolenRemoved: number;
  scratch: number;
}

export interface LockResult {
  right: number;
  wrong: number[];
  removed: number;
  attacks: AttackResult[];
}

/** A key derived from a tag and the seed, so the table regenerates exactly. */
export function studyKey(tag: string, seed: number): ModelKey {
  return modelKeyFromBytes(createHash('sha256').update(`lock-table ${tag} ${seed}`).digest());
}

export async function trainModel(
  config: ModelConfig,
  inr: InrMode | null,
  train: LabeledData,
  val: LabeledData,
  o: StudyOptions,
): Promise<NamedTensors> {
  const trainer = createTrainer(config, inr);
  try {
    await trainer.fit(train, val, {
      epochs: o.epochs,
      batchSize: 32,
      learningRate: 1e-3,
      seed: o.seed,
      patience: o.patience,
    });
    return await trainer.getWeights();
  } finally {
    trainer.dispose();
  }
}

/** Accuracy of `weights` under `inr` on `d`. */
export async function accuracyOf(
  config: ModelConfig,
  inr: InrMode | null,
  weights: NamedTensors,
  d: LabeledData,
): Promise<number> {
  const trainer = createTrainer(config, inr);
  try {
    trainer.setWeights(weights);
    return (await score(trainer, d)).accuracy;
  } finally {
    trainer.dispose();
  }
}

/** Everything but the plain row, for a locked config whose trained weights are `weights` (under `key`). */
export async function studyLock(
  config: ModelConfig,
  key: ModelKey,
  weights: NamedTensors,
  evalSet: LabeledData,
  o: StudyOptions,
): Promise<LockResult> {
  const right = await accuracyOf(config, { kind: 'key', key }, weights, evalSet);
  const wrong: number[] = [];
  for (let i = 0; i < o.wrongKeys; i++) {
    wrong.push(
      await accuracyOf(config, { kind: 'key', key: studyKey(`wrong ${i}`, o.seed) }, weights, evalSet),
    );
  }
  const removed = await accuracyOf(config, { kind: 'removed' }, weights, evalSet);
  const attacks: AttackResult[] = [];
  for (const k of o.ks) attacks.push(await fineTuneAttack(config, weights, evalSet, k, o));
  return { right, wrong, removed, attacks };
}

/**
 * The attacker holds the weights but not the key, and k labelled samples per class of `d`: fine-tune the
 * weights under a random key, fine-tune them with the INR removed, or train the same architecture from
 * scratch (a fresh init, under the attacker's key); the same epochs and optimizer for all three. Scored on
 * the rest of `d`.
 */
export async function fineTuneAttack(
  config: ModelConfig,
  weights: NamedTensors,
  d: LabeledData,
  k: number,
  o: StudyOptions,
): Promise<AttackResult> {
  const { shots, rest } = splitShots(d, k, config.numClasses, o.seed);
  const attackerKey: InrMode = { kind: 'key', key: studyKey('attacker', o.seed) };
  const run = async (inr: InrMode, start: NamedTensors | null, seed: number) => {
    const trainer = createTrainer({ ...config, seed }, inr);
    try {
      if (start) trainer.setWeights(start);
      await trainer.fit(shots, null, {
        epochs: Math.ceil(o.attackSteps / Math.ceil(shots.rows / 32)),
        batchSize: 32,
        learningRate: 1e-3,
        seed: o.seed + 7,
        patience: null,
      });
      return (await score(trainer, rest)).accuracy;
    } finally {
      trainer.dispose();
    }
  };
  return {
    k,
    shots: shots.rows,
    scored: rest.rows,
    stolenRandomKey: await run(attackerKey, weights, config.seed),
    stolenRemoved: await run({ kind: 'removed' }, weights, config.seed),
    scratch: await run(attackerKey, null, config.seed + 1),
  };
}

/** k rows per class (at most half of a class, so some are left to score), the rest. */
function splitShots(d: LabeledData, k: number, classes: number, seed: number) {
  const order = shuffle(
    Array.from({ length: d.rows }, (_, i) => i),
    createRng(seed * 31 + k),
  );
  const counts = new Array<number>(classes).fill(0);
  d.y.forEach((c) => counts[c]++);
  const taken = new Array<number>(classes).fill(0);
  const shotRows: number[] = [];
  const restRows: number[] = [];
  for (const r of order) {
    const c = d.y[r];
    if (taken[c] < Math.min(k, Math.floor(counts[c] / 2))) {
      taken[c]++;
      shotRows.push(r);
    } else restRows.push(r);
  }
  return { shots: take(d, shotRows), rest: take(d, restRows) };
}

function take(d: LabeledData, rows: number[]): LabeledData {
  const x = new Float32Array(rows.length * d.cols);
  rows.forEach((r, i) => x.set(d.x.subarray(r * d.cols, (r + 1) * d.cols), i * d.cols));
  return { x, rows: rows.length, cols: d.cols, y: Int32Array.from(rows, (r) => d.y[r]) };
}

export function majorityRate(d: LabeledData, classes: number): number {
  const counts = new Array<number>(classes).fill(0);
  d.y.forEach((c) => counts[c]++);
  return Math.max(...counts) / d.rows;
}
