import { InputError } from '../core/index.js';
import { parseModelConfig, parseRecordedModelConfig, type ModelConfig } from '../models/index.js';
import type { SwarmConfig } from './config.js';

/**
 * The model a site trains: the swarm config's `model` section, sized by the site's data. A site whose
 * database holds a checkpoint keeps the lock that checkpoint records where the swarm config names none:
 * the default lock changed (issue 22) and an existing swarm must not silently switch locks under its
 * trained weights. A lock the swarm config names and the checkpoint contradicts is refused.
 */
export function swarmModelConfig(
  swarm: SwarmConfig,
  inputDim: number,
  recorded: Record<string, unknown> | null,
  swarmPath: string,
): ModelConfig {
  const base = {
    ...swarm.model,
    inr: swarm.model.inr === undefined ? {} : swarm.model.inr,
    inputDim,
    numClasses: swarm.model.classNames.length,
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
