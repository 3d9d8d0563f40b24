import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../src/inr/index.js';
import { openCheckpoint } from '../../src/storage/index.js';
import { assertCliBuilt, swarmdAsync } from '../helpers/cli.js';

const DATA = 'data/sklearn_breast_cancer_wdbc.csv.gz';

// The shuffle lock end to end: `train --lock shuffle` records the lock in the checkpoint, `infer` rebuilds it.
describe('swarmd train --lock shuffle / infer', () => {
  let dir: string;
  beforeAll(async () => {
    assertCliBuilt();
    dir = await mkdtemp(join(tmpdir(), 'swarmd-lock-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('records the lock in the checkpoint and predicts with it offline', async () => {
    const key = join(dir, 'site.key');
    expect((await swarmdAsync(['keygen', '--out', key])).code).toBe(0);
    const ckpt = join(dir, 'ckpt');
    const common = ['--key', key, '--backend', 'cpu'];
    const train = await swarmdAsync(
      ['train', '--data', DATA, '--out', ckpt, '--lock', 'shuffle', '--epochs', '15', ...common],
      { timeoutMs: 120_000 },
    );
    expect(train.code, train.stderr).toBe(0);
    const cp = await openCheckpoint(ckpt, await loadKeyFile(key));
    expect((cp.manifest.modelConfig as { inr: { lock: string } }).inr.lock).toBe('shuffle');

    const infer = await swarmdAsync(['infer', '--checkpoint', ckpt, '--input', DATA, ...common]);
    expect(infer.code, infer.stderr).toBe(0);
    expect(Number(/accuracy ([\d.]+)%/.exec(infer.stderr)?.[1])).toBeGreaterThan(85);

    const bad = await swarmdAsync([
      'train',
      '--data',
      DATA,
      '--out',
      join(dir, 'x'),
      '--lock',
      'xor',
      ...common,
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/inr\.lock/);
  });
});
