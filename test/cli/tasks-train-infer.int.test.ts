import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, swarmdAsync } from '../helpers/cli.js';

// swarmd train / infer for the regression and embedding tasks, through the built CLI, on the bundled flu set.
const FLU = 'data/qusage_flu_response.csv.gz';
const run = (...args: string[]) => swarmdAsync(args, { timeoutMs: 180_000 });

describe('swarmd train / infer for other tasks', () => {
  let dir: string;
  beforeAll(async () => {
    assertCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'swarmd-tasks-cli-'));
    expect((await run('keygen', '--out', join(dir, 'site.key'))).code).toBe(0);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('trains a regression and infers targets in data units from inputs that lack the target columns', async () => {
    const targets = ['t_RSAD2', 't_IFI44L'];
    const common = ['--key', join(dir, 'site.key'), '--ignore', 'subject,condition'];
    const train = await run(
      'train',
      '--data',
      FLU,
      ...common,
      '--out',
      join(dir, 'reg'),
      '--task',
      'regression',
      '--targets',
      targets.join(','),
      '--arch',
      'linear',
      '--epochs',
      '5',
    );
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/^epoch 1\/5 loss [\d.]+ val R² -?[\d.]+$/m);
    expect(train.stdout).toMatch(/validation \(early-stopped model\): r2 -?[\d.]+, mse [\d.]+, pearson/);
    // the same rows without the two target columns (the other t_ columns are features here) and the label
    const lines = gunzipSync(await readFile(FLU))
      .toString('utf8')
      .trim()
      .split('\n');
    const header = lines[0].split(',');
    const keep = header.map((h, i) => (targets.includes(h) || h === 'label' ? -1 : i)).filter((i) => i >= 0);
    const input = join(dir, 'no-targets.csv');
    await writeFile(input, lines.map((l) => keep.map((i) => l.split(',')[i]).join(',')).join('\n') + '\n');
    const out = join(dir, 'pred.csv');
    const infer = await run(
      'infer',
      '--checkpoint',
      join(dir, 'reg'),
      ...common,
      '--input',
      input,
      '--output',
      out,
    );
    expect(infer.code, infer.stderr).toBe(0);
    const pred = (await readFile(out, 'utf8')).trim().split('\n');
    expect(pred[0]).toBe('sample_id,predicted_t_RSAD2,predicted_t_IFI44L');
    expect(pred).toHaveLength(lines.length);
    // log2 changes from baseline: within the data's range, not standardised values
    const col = header.indexOf('t_RSAD2');
    const truth = lines.slice(1).map((l) => Number(l.split(',')[col]));
    const p = pred.slice(1).map((l) => Number(l.split(',')[1]));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(Math.abs(mean(p) - mean(truth))).toBeLessThan(0.5);
    expect(Math.min(...p)).toBeGreaterThan(Math.min(...truth) - 1);
    expect(Math.max(...p)).toBeLessThan(Math.max(...truth) + 1);
    expect(infer.stderr).not.toMatch(/targets present/); // no truth in the input, no scores
    // with the targets present, infer scores them
    const scored = await run('infer', '--checkpoint', join(dir, 'reg'), ...common, '--input', FLU);
    expect(scored.stderr).toMatch(/targets present: r2 -?[\d.]+, mse/);
  }, 300_000);

  it('trains an embedding, writes embeddings with --embed and refuses --embed for a classifier', async () => {
    const common = ['--key', join(dir, 'site.key'), '--ignore', 'subject,condition'];
    const train = await run(
      'train',
      '--data',
      FLU,
      ...common,
      '--out',
      join(dir, 'emb'),
      '--task',
      'embedding',
      '--embedding-dim',
      '3',
      '--arch',
      'linear',
      '--epochs',
      '5',
    );
    expect(train.code, train.stderr).toBe(0);
    const infer = await run('infer', '--checkpoint', join(dir, 'emb'), ...common, '--input', FLU, '--embed');
    expect(infer.code, infer.stderr).toBe(0);
    const rows = infer.stdout.trim().split('\n');
    expect(rows[0]).toBe('sample_id,embedding_1,embedding_2,embedding_3');
    expect(
      rows.slice(1).every((r) =>
        r
          .split(',')
          .slice(1)
          .every((v) => Number.isFinite(Number(v))),
      ),
    ).toBe(true);
    expect(infer.stderr).toMatch(/labels present: ari -?[\d.]+, nmi/);
    const cls = await run(
      'train',
      '--data',
      FLU,
      ...common,
      '--out',
      join(dir, 'cls'),
      '--arch',
      'linear',
      '--epochs',
      '2',
    );
    expect(cls.code, cls.stderr).toBe(0);
    const refused = await run(
      'infer',
      '--checkpoint',
      join(dir, 'cls'),
      ...common,
      '--input',
      FLU,
      '--embed',
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--embed: .* holds a classification model, not an embedding/);
  }, 300_000);
});
