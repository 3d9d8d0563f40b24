import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../src/inr/index.js';
import { openCheckpoint } from '../../src/storage/index.js';

// End to end through the built CLI (npm test builds dist/ first): keygen → train → infer, as a user runs it.
const CLI = 'dist/src/cli.js';
const DATA = 'data/sklearn_breast_cancer_wdbc.csv.gz';

// Asynchronous, so a long training run does not block the test worker (vitest's RPC times out on that).
function swarmd(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      [CLI, ...args],
      { encoding: 'utf8', timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    ),
  );
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
      const r = await swarmd('keygen', '--out', join(dir, name));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/fingerprint [0-9a-f]{32}/);
    }
    expect((await stat(join(dir, 'site.key'))).mode & 0o777).toBe(0o600);
    const again = await swarmd('keygen', '--out', join(dir, 'site.key'));
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--force/);
  });

  it('trains a checkpoint on real data and predicts offline with the right key', async () => {
    const train = await swarmd(
      'train',
      '--data',
      DATA,
      '--key',
      join(dir, 'site.key'),
      '--out',
      join(dir, 'ckpt'),
      '--epochs',
      '15',
      '--test-fraction',
      '0.2',
      '--backend',
      'cpu',
    );
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toContain('backend: cpu');
    // 212 malignant + 357 benign, 20 % of each held out: 42 + 71.
    expect(train.stderr).toMatch(/training on \d+ rows, validating on \d+, holding out 113 for the test/);
    const acc = Number(/held-out test: accuracy ([\d.]+)%/.exec(train.stdout)?.[1]);
    expect(acc).toBeGreaterThan(85);

    const out = join(dir, 'pred.csv');
    const infer = await swarmd(
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

  it('trains on every row but the validation split by default and reports each epoch on one line', async () => {
    const train = await swarmd(
      'train',
      '--data',
      DATA,
      '--key',
      join(dir, 'site.key'),
      '--out',
      join(dir, 'ckpt-all'),
      '--epochs',
      '3',
      '--backend',
      'cpu',
    );
    expect(train.code, train.stderr).toBe(0);
    // Stratified 15 % validation: round(0.15 × 212) = 32 malignant, round(0.15 × 357) = 54 benign.
    expect(train.stderr).toContain('training on 483 rows, validating on 86 (no held-out test');
    const epochs = train.stderr.split('\n').filter((l) => /^epoch \d+\/3 loss [\d.]+ val acc/.test(l));
    expect(epochs).toHaveLength(3);
    // then a fresh model on all 569 rows for the epoch count early stopping chose (every epoch improved: 3)
    const refit = train.stderr.split('\n').filter((l) => /^refit epoch \d+\/3 loss [\d.]+$/.test(l));
    expect(refit).toHaveLength(3);
    expect(train.stdout).toContain('refitted on train + val rows for 3 epochs; train/val/test rows 483/86/0');
    expect(train.stdout).toMatch(/validation \(early-stopped model\): accuracy/);
    expect(train.stdout).not.toMatch(/held-out test/);
  });

  it('records --transform log1p in the checkpoint, infer applies it, and an id-like column is named', async () => {
    // WDBC plus a donor column: the values are all non-negative, so log1p applies.
    const rows = gunzipSync(await readFile(DATA))
      .toString('utf8')
      .trim()
      .split('\n');
    const withDonor = rows.map((l, i) => {
      const cells = l.split(',');
      cells.splice(1, 0, i === 0 ? 'donor' : String(i % 4));
      return cells.join(',');
    });
    const csv = join(dir, 'wdbc-donor.csv');
    await writeFile(csv, withDonor.join('\n') + '\n');
    const ckpt = join(dir, 'ckpt-log');
    const key = join(dir, 'site.key');
    const common = ['--key', key, '--backend', 'cpu'];
    const train = await swarmd(
      'train',
      '--data',
      csv,
      '--out',
      ckpt,
      '--epochs',
      '10',
      '--transform',
      'log1p',
      ...common,
    );
    expect(train.code, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/warning: donor \(named like an id\).*pass --ignore donor if so/);
    const { manifest } = await openCheckpoint(ckpt, await loadKeyFile(key));
    const prep = manifest.preprocessing as { transform: string; featureNames: string[]; mean: number[] };
    expect(prep.transform).toBe('log1p');
    // 'mean area' is ~655 on average; its log1p lies between log1p(143) and log1p(2501).
    const area = prep.mean[prep.featureNames.indexOf('mean area')];
    expect(area).toBeGreaterThan(Math.log1p(143));
    expect(area).toBeLessThan(Math.log1p(2501));
    const infer = await swarmd('infer', '--checkpoint', ckpt, '--input', csv, ...common);
    expect(infer.code, infer.stderr).toBe(0);
    expect(Number(/accuracy ([\d.]+)%/.exec(infer.stderr)?.[1])).toBeGreaterThan(85);
    const bad = await swarmd('train', '--data', csv, '--out', ckpt, '--transform', 'sqrt', ...common);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/unknown transform 'sqrt' \(choose one of none, log1p\)/);
  });

  it('refuses the wrong key: the sealed checkpoint does not open, no prediction is made', async () => {
    const wrong = await swarmd(
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
    const r = await swarmd('infer', '--checkpoint', folder, '--key', join(dir, 'site.key'), '--input', DATA);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is not a swarmd database .*pass a site's dataDir/);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(await readdir(folder)).toEqual(['notes.txt']);
  });

  it('explains a missing key file, checkpoint and input', async () => {
    const noKey = await swarmd(
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
    const noCkpt = await swarmd(
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
    const noInput = await swarmd(
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
