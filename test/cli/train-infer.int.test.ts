import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// End to end through the built CLI (npm test builds dist/ first): keygen → train → infer, as a user runs it.
const CLI = 'dist/src/cli.js';
const DATA = 'data/sklearn_breast_cancer_wdbc.csv.gz';

function swarmd(...args: string[]) {
  const res = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('swarmd keygen / train / infer', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(CLI))
      throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it for you)`);
    dir = await mkdtemp(join(tmpdir(), 'swarmd-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes key files with mode 0600 and refuses to overwrite one', async () => {
    for (const name of ['site.key', 'other.key']) {
      const r = swarmd('keygen', '--out', join(dir, name));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/fingerprint [0-9a-f]{32}/);
    }
    expect((await stat(join(dir, 'site.key'))).mode & 0o777).toBe(0o600);
    const again = swarmd('keygen', '--out', join(dir, 'site.key'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--force/);
  });

  it('trains a checkpoint on real data and predicts offline with the right key', async () => {
    const train = swarmd(
      'train',
      '--data',
      DATA,
      '--key',
      join(dir, 'site.key'),
      '--out',
      join(dir, 'ckpt'),
      '--epochs',
      '15',
      '--backend',
      'cpu',
    );
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toContain('backend: cpu');
    const acc = Number(/held-out test: accuracy ([\d.]+)%/.exec(train.stdout)?.[1]);
    expect(acc).toBeGreaterThan(85);

    const out = join(dir, 'pred.csv');
    const infer = swarmd(
      'infer',
      '--checkpoint',
      join(dir, 'ckpt'),
      '--key',
      join(dir, 'site.key'),
      '--input',
      DATA,
      '--output',
      out,
      '--backend',
      'cpu',
    );
    expect(infer.code, infer.stderr).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('sample_id,predicted,prob_0,prob_1');
    expect(lines).toHaveLength(570);
    const [id, predicted, p0, p1] = lines[1].split(',');
    expect(id).toBe('wdbc_0');
    expect(['0', '1']).toContain(predicted);
    expect(Number(p0) + Number(p1)).toBeCloseTo(1, 4);
    const inferAcc = Number(/accuracy ([\d.]+)%/.exec(infer.stderr)?.[1]);
    expect(inferAcc).toBeGreaterThan(85);
  });

  it('refuses the wrong key: the sealed checkpoint does not open, no prediction is made', () => {
    const wrong = swarmd(
      'infer',
      '--checkpoint',
      join(dir, 'ckpt'),
      '--key',
      join(dir, 'other.key'),
      '--input',
      DATA,
      '--backend',
      'cpu',
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(
      /fingerprint [0-9a-f]+ does not match checkpoint .* encrypted under another key/,
    );
    expect(wrong.stdout).toBe('');
  });

  it('refuses a folder that is not a swarmd database and writes nothing into it', async () => {
    const folder = join(dir, 'not-a-db');
    await mkdir(folder);
    await writeFile(join(folder, 'notes.txt'), 'hello');
    const r = swarmd('infer', '--checkpoint', folder, '--key', join(dir, 'site.key'), '--input', DATA);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a swarmd database .*pass a site's dataDir/);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(await readdir(folder)).toEqual(['notes.txt']);
  });

  it('explains a missing key file, checkpoint and input', () => {
    const noKey = swarmd(
      'infer',
      '--checkpoint',
      join(dir, 'ckpt'),
      '--key',
      join(dir, 'nope.key'),
      '--input',
      DATA,
    );
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/nope\.key/);
    expect(noKey.stderr).toMatch(/keygen/);
    const noCkpt = swarmd(
      'infer',
      '--checkpoint',
      join(dir, 'none'),
      '--key',
      join(dir, 'site.key'),
      '--input',
      DATA,
    );
    expect(noCkpt.code).toBe(1);
    expect(noCkpt.stderr).toMatch(/no checkpoint at/);
    const noInput = swarmd(
      'infer',
      '--checkpoint',
      join(dir, 'ckpt'),
      '--key',
      join(dir, 'site.key'),
      '--input',
      join(dir, 'x.csv'),
    );
    expect(noInput.code).toBe(1);
    expect(noInput.stderr).toMatch(/cannot read data file/);
    for (const r of [noKey, noCkpt, noInput]) expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });
});
