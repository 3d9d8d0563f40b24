import { InputError } from '../core/index.js';
import {
  parseModelConfig,
  parseRecordedModelConfig,
  type Dataset,
  type ModelConfig,
} from '../models/index.js';
import { taskModelSettings } from './task-config.js';
import type { SwarmConfig } from './config.js';

/**
 * The model a site trains: the swarm config's `model` section, sized by the site's data. A site whose
 * database holds a checkpoint keeps the lock that checkpoint records where the swarm config names none:
 * the default lock changed (issue 22) and an existing swarm must not silently switch locks under its
 * trained weights. A lock the swarm config names and the checkpoint contradicts is refused.
 */
export function swarmModelConfig(
  swarm: SwarmConfig,
  ds: Pick<Dataset, 'featureNames' | 'classNames'>,
  recorded: Record<string, unknown> | null,
  swarmPath: string,
): ModelConfig {
  const task = taskModelSettings(swarm.task, ds.featureNames, swarmPath);
  // classification: the classes; regression: the targets; embedding: the k of the k-means scoring it
  const width = {
    classification: ds.classNames.length,
    regression: task.targets.length,
    embedding: ds.classNames.length,
  };
  const base = {
    ...swarm.model,
    ...task,
    inr: swarm.model.inr === undefined ? {} : swarm.model.inr,
    inputDim: ds.featureNames.length - task.targets.length,
    numClasses: Math.max(1, width[task.task]),
  };
  const kept = recorded ? parseRecordedModelConfig(recorded).inr?.lock : undefined;
  const named = swarm.model.inr?.lock;
  if (kept && named && kept !== named) {
    throw new InputError(
      'LOCK_CHANGED',
      `this site's checkpoints were trained under model.inr.lock ${kept}, but ${swarmPath} now says ${named}: ` +
        `restore the setting, or start a new swarm (new dataDir at every site)`,
    );
  }
  return parseModelConfig(kept && base.inr ? { ...base, inr: { ...base.inr, lock: kept } } : base);
}
