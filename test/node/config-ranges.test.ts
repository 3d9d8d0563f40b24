import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSiteConfig } from '../../src/node/index.js';

// A site config's training numbers obey the same ranges as `swarmd train`'s flags, in the same words.
describe('site config training ranges', () => {
  let dir: string;
  beforeAll(async () => (dir = await mkdtemp(join(tmpdir(), 'swarmd-config-'))));
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function load(training: string): Promise<unknown> {
    const path = join(dir, 'site.yaml');
    const base = 'site: s\ndataDir: db\nkeyFile: k\nswarmConfig: swarm.yaml\ndata: { path: d.csv }\n';
    await writeFile(path, `${base}training: ${training}\n`);
    return loadSiteConfig(path).then(
      (c) => c.training,
      (err: Error) => err.message,
    );
  }

  it('refuses infinite, absurd and fractional values with the allowed range', async () => {
    expect(await load('{ learningRate: .inf }')).toContain(
      'training.learningRate: must be a number above 0 and at most 1',
    );
    expect(await load('{ epochsPerRound: 100000 }')).toContain(
      'training.epochsPerRound: must be a whole number from 1 to 10000',
    );
    expect(await load('{ batchSize: 0 }')).toContain(
      'training.batchSize: must be a whole number from 1 to 65536',
    );
    expect(await load('{ valFraction: 1 }')).toContain(
      'training.valFraction: must be a number above 0 and below 1',
    );
    expect(await load('{ seed: 1.5 }')).toContain(
      'training.seed: must be a whole number from 0 to 4294967295',
    );
  });

  it('keeps the defaults and accepts values inside the ranges', async () => {
    // No learning rate: the daemon takes the swarm model's architecture's (defaultLearningRate).
    expect(await load('{}')).toStrictEqual({
      epochsPerRound: 2,
      batchSize: 32,
      valFraction: 0.15,
      seed: 42,
    });
    expect(
      await load('{ epochsPerRound: 10000, batchSize: 1, learningRate: 1, seed: 4294967295 }'),
    ).toMatchObject({ epochsPerRound: 10000, batchSize: 1, learningRate: 1, seed: 4294967295 });
  });
});
