import type { LabeledData, Trainer, TrainOptions, TrainResult } from './trainer.js';

export interface RefitResult<S> {
  /** The model to keep: refitted on the training and validation rows (or the early-stopped one). */
  trainer: Trainer;
  /** The early-stopping fit that chose the epoch count. */
  selection: TrainResult;
  /** What `onSelected` said of the early-stopped model, while it was still held. */
  selected: S;
  /** Epochs of the refit; null when the early-stopped model is kept. */
  refitEpochs: number | null;
}

/**
 * Train on every row: early stopping picks the epoch count on the validation rows, then a fresh model (the
 * same seeded initial weights, a fresh optimiser) trains for that many epochs on the training and the
 * validation rows together, and is the one kept (Goodfellow et al., Deep Learning, algorithm 7.2). Same
 * number of passes, not of steps: with the linear model's L2 at 1 / (2 · rows) a pass over more rows is the
 * same objective, sampled more densely. `onSelected` sees the early-stopped model (its validation score is
 * the honest one: the refitted model has trained on those rows).
 */
export async function fitOnEveryRow<S>(
  make: () => Trainer | Promise<Trainer>,
  train: LabeledData,
  val: LabeledData,
  opts: TrainOptions & { refit: boolean },
  onSelected: (selected: Trainer) => Promise<S>,
): Promise<RefitResult<S>> {
  const first = await make();
  let selection: TrainResult;
  let selected: S;
  try {
    selection = await first.fit(train, val, opts);
    selected = await onSelected(first);
  } catch (err) {
    first.dispose();
    throw err;
  }
  if (!opts.refit) return { trainer: first, selection, selected, refitEpochs: null };
  first.dispose();
  const trainer = await make();
  try {
    const epochs = selection.bestEpoch;
    await trainer.fit(concatRows(train, val), null, { ...opts, epochs, patience: null });
    return { trainer, selection, selected, refitEpochs: epochs };
  } catch (err) {
    trainer.dispose();
    throw err;
  }
}

/** The rows of `a` then those of `b` (same columns): features, labels, targets and conditions alike. */
export function concatRows(a: LabeledData, b: LabeledData): LabeledData {
  const out: LabeledData = { x: joined(a.x, b.x), rows: a.rows + b.rows, cols: a.cols, y: joined(a.y, b.y) };
  if (a.targets && b.targets) out.targets = joined(a.targets, b.targets);
  if (a.conditions && b.conditions) out.conditions = [...a.conditions, ...b.conditions];
  return out;
}

function joined<T extends Float32Array | Int32Array>(a: T, b: T): T {
  const out = new (a.constructor as new (n: number) => T)(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
