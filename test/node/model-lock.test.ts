import { describe, expect, it } from 'vitest';
import { parseModelConfig, parseRecordedModelConfig } from '../../src/models/index.js';
import { SwarmConfigSchema, swarmModelConfig } from '../../src/node/index.js';
import { base } from '../helpers/swarm-config.js';

/** A site's columns: 4 features, 2 classes. */
const cols = { featureNames: ['a', 'b', 'c', 'd'], classNames: ['x', 'y'] };
const swarm = (model: Record<string, unknown>) =>
  SwarmConfigSchema.parse({ ...base, model: { ...base.model, ...model } });

/** A checkpoint's model config as the version before `inr.lock` wrote it: every default but the lock. */
function recordedBeforeLock(): Record<string, unknown> {
  const c = parseModelConfig({ arch: 'proteomics', inputDim: 4, numClasses: 2 });
  const inr: Record<string, unknown> = { ...c.inr };
  delete inr.lock;
  return { ...c, inr };
}

describe('the model lock of new and existing swarms', () => {
  it('is shuffle for a new config of every architecture, infl where named', () => {
    for (const arch of ['proteomics', 'mlp', 'linear'] as const)
      expect(parseModelConfig({ arch, inputDim: 4, numClasses: 2 }).inr?.lock).toBe('shuffle');
    expect(parseModelConfig({ inputDim: 4, numClasses: 2, inr: { lock: 'infl' } }).inr?.lock).toBe('infl');
  });

  it('reads a recorded config without a lock as infl, and keeps a recorded lock', () => {
    expect(parseRecordedModelConfig(recordedBeforeLock()).inr?.lock).toBe('infl');
    const shuffled = parseModelConfig({ inputDim: 4, numClasses: 2 });
    expect(parseRecordedModelConfig(shuffled).inr?.lock).toBe('shuffle');
    expect(parseRecordedModelConfig({ ...shuffled, inr: null }).inr).toBeNull();
  });

  it('keeps the lock an existing site recorded when the swarm config names none', () => {
    const recorded = recordedBeforeLock();
    expect(swarmModelConfig(swarm({}), cols, recorded, 'swarm.yaml').inr?.lock).toBe('infl');
    expect(swarmModelConfig(swarm({}), cols, null, 'swarm.yaml').inr?.lock).toBe('shuffle');
    const named = swarm({ inr: { lock: 'infl' } });
    expect(swarmModelConfig(named, cols, recorded, 'swarm.yaml').inr?.lock).toBe('infl');
  });

  it('refuses a swarm config whose lock contradicts the checkpoints, naming both', () => {
    const named = swarm({ inr: { lock: 'shuffle' } });
    expect(() => swarmModelConfig(named, cols, recordedBeforeLock(), 'swarm.yaml')).toThrow(
      /trained under model\.inr\.lock infl, but swarm\.yaml now says shuffle/,
    );
  });
});
