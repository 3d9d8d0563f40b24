import type { Logger, NamedTensors } from '../core/index.js';
import type { ModelKey } from '../inr/index.js';
import type { FeatureTransform, ModelConfig, Standardizer, Trainer } from '../models/index.js';
import type { Checkpoint } from '../storage/index.js';
import type { RoundWork } from '../swarm/index.js';
import type { SiteData } from './site-data.js';

/** What a site's round work is built from: the composition root loads it (data, model, key, trainer). */
export interface SiteWorkInit {
  data: SiteData;
  model: ModelConfig;
  key: ModelKey;
  /** The model this site trains: the daemon's lives in the training thread (default: one in this thread). */
  trainer?: Trainer;
  training: { epochsPerRound: number; batchSize: number; learningRate: number; seed: number };
  backend: string;
  /** Restored from the store on resume (round ≥ 0 applied before). */
  standardizer: Standardizer | null;
  /** The swarm's `preprocess.transform`: applied before the statistics and the standardisation. */
  transform: FeatureTransform;
  onTrained?: (round: number, metrics: Record<string, number>) => void;
}

/**
 * A site's part of every round as the daemon drives it: the swarm peer's RoundWork (statistics, training,
 * adopting merges), plus what the round log records with a commit and what privacy starts from.
 */
export interface SiteRoundWork extends RoundWork {
  /** The weights the trainer holds now (before a round: what it will train from). */
  weights(): Promise<NamedTensors>;
  /** What the round log stores with a commit: round 0's shared preprocessing, or the merged checkpoint. */
  recordFor(
    round: number,
    merged: NamedTensors,
    commitHash: string,
  ): Promise<{ checkpoint?: Checkpoint; meta?: Record<string, unknown> }>;
  dispose(): void;
}

/**
 * The daemon's round-work component: `startDaemon` builds the honest SiteWork unless given another. The
 * product has no other; demo harnesses outside it (bench/demo-attack) pass theirs.
 */
export type SiteWorkFactory = (init: SiteWorkInit, components: { log: Logger }) => SiteRoundWork;
