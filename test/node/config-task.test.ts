import { describe, expect, it } from 'vitest';
import { SwarmConfigSchema, swarmModelConfig } from '../../src/node/index.js';
import { base, problems } from '../helpers/swarm-config.js';

const cols = { featureNames: ['g1', 'g2', 'y_a', 'y_b'], classNames: [] as string[] };

describe('the swarm config task', () => {
  it('defaults to classification and takes a word or an object', () => {
    expect(SwarmConfigSchema.parse(base).task).toEqual({ kind: 'classification' });
    expect(SwarmConfigSchema.parse({ ...base, task: 'embedding' }).task).toEqual({
      kind: 'embedding',
      dim: 16,
    });
    expect(problems({ task: { kind: 'regression', targets: ['y_a'] } })).toEqual([]);
  });

  it('names what a regression task lacks, and an unknown task', () => {
    expect(problems({ task: 'regression' }).join()).toMatch(/targets: \[\.\.\] or targetPrefix/);
    expect(problems({ task: { kind: 'regression', targets: ['y'], condition: 'time' } }).join()).toMatch(
      /condition and control go together/,
    );
    expect(problems({ task: 'clustering' }).join()).toMatch(/classification, regression, embedding/);
  });

  it('needs classNames for classification only', () => {
    const model = { arch: 'linear' };
    expect(problems({ model }).join()).toMatch(/model.classNames is missing/);
    expect(problems({ model, task: 'embedding' })).toEqual([]);
  });

  it('resolves a target prefix against the site columns into the model config', () => {
    const swarm = SwarmConfigSchema.parse({
      ...base,
      task: { kind: 'regression', targetPrefix: 'y_', loss: 'huber', condition: 'time', control: '0' },
      model: { arch: 'linear' },
    });
    const m = swarmModelConfig(swarm, cols, null, 'swarm.yaml');
    expect(m).toMatchObject({
      task: 'regression',
      targets: ['y_a', 'y_b'],
      numClasses: 2,
      inputDim: 2,
      loss: 'huber',
      control: { column: 'time', value: '0' },
    });
    const none = SwarmConfigSchema.parse({ ...base, task: { kind: 'regression', targetPrefix: 'z_' } });
    expect(() => swarmModelConfig(none, cols, null, 'swarm.yaml')).toThrow(/no column starting with 'z_'/);
  });
});
