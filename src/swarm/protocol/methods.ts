/** The merge rules for model rounds, as a swarm config names them. */
export const MODEL_MERGE_METHODS = ['fedavg', 'median', 'trimmed-mean', 'clipped-fedavg'] as const;
/** Every merge rule a commit may name: the model rules and `sum` (feature statistics in round 0). */
export const MERGE_METHODS = [...MODEL_MERGE_METHODS, 'sum'] as const;
export type MergeMethod = (typeof MERGE_METHODS)[number];
