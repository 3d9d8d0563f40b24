/**
 * Node: the daemon's composition root and the site-level commands (local training, offline inference).
 * It wires models, swarm and storage together; nothing below it imports from here.
 */
export { inferOffline, trainLocal } from './local.js';
export type { InferOptions, InferResult, TrainLocalOptions, TrainLocalResult } from './local.js';
