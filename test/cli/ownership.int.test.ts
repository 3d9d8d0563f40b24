import { chmod, chown, cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateModelKey, loadKeyFile, writeKeyFile } from '../../src/inr/index.js';
import { exportCheckpointFile, openCheckpoint } from '../../src/storage/index.js';
import { assertCliBuilt, expectOneLineError, swarmdAsync } from '../helpers/cli.js';
import { makeSite, trainCheckpoint, writeSiteFiles } from '../helpers/site-files.js';

// swarmd writes only what it owns (issue 21): a folder it created, an empty one or one of its databases; an
// output file that is new, or one it wrote for that purpose. Each case was data loss before: every test checks
// that the files found there are still there, byte for byte, after the refusal.

let root: string;
let data: string; // 60 rows of sample_id,f1,f2,f3,label (the good.csv)
let key: string;
let checkpoint: string;
let swck: string;

const NOBODY = 65534;
const LEVELDB_NAMES = ['LOG', 'LOG.old', '000005.log', '000009.ldb', 'MANIFEST-000001', 'notes.txt'];

/** A folder holding files named like LevelDB's (each "x\n"), as another program might leave. */
async function foreignFolder(name: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { mode: 0o700 });
  for (const f of LEVELDB_NAMES) await writeFile(join(dir, f), 'x\n');
  return dir;
}

async function expectForeignFolderIntact(dir: string): Promise<void> {
  expect((await readdir(dir)).sort()).toEqual([...LEVELDB_NAMES].sort());
  for (const f of LEVELDB_NAMES) expect(await readFile(join(dir, f), 'utf8')).toBe('x\n');
}

/** Another application's LevelDB with one key of its own. */
async function foreignLevelDb(name: string): Promise<string> {
  const dir = join(root, name);
  const db = new Level<string, string>(dir);
  await db.put('their-key', 'their-value');
  await db.close();
  await chmod(dir, 0o700);
  return dir;
}

async function levelKeys(dir: string): Promise<string[]> {
  const db = new Level<string, string>(dir, { createIfMissing: false });
  try {
    return await db.keys().all();
  } finally {
    await db.close();
  }
}

const siteOf = (site: Record<string, unknown> = {}) => ({ data, classNames: ['a', 'b'], site });
const train = (out: string) => ['train', '--data', data, '--key', key, '--out', out, '--epochs', '1'];
const reading = () => ['--checkpoint', checkpoint, '--key', key, '--input', data];
const infer = (...extra: string[]) => ['infer', ...reading(), ...extra];

beforeAll(async () => {
  assertCliBuilt();
  root = await mkdtemp(join(tmpdir(), 'swarmd-ownership-'));
  await chmod(root, 0o755);
  data = join(root, 'good.csv');
  const rows = Array.from({ length: 60 }, (_, i) => `s${i},${i % 7},${(i * 3) % 5},${i % 2},${'ab'[i % 2]}`);
  await writeFile(data, ['sample_id,f1,f2,f3,label', ...rows].join('\n') + '\n');
  key = join(root, 'site.key');
  await writeKeyFile(key, generateModelKey());
  checkpoint = join(root, 'ckpt');
  await trainCheckpoint(data, key, checkpoint, { arch: 'linear', epochs: 1 });
  swck = join(root, 'model.swck');
  const k = await loadKeyFile(key);
  await exportCheckpointFile(await openCheckpoint(checkpoint, k), swck, k);
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe.concurrent('database folders: only a new, empty or swarmd folder', () => {
  it('train --out a folder of LevelDB-named files is refused before training, every file intact', async () => {
    const dir = await foreignFolder('train-foreign');
    const r = await swarmdAsync(train(dir));
    expectOneLineError(
      r,
      /database folder .*train-foreign already holds files swarmd did not write \(000005\.log/,
    );
    expect(r.stderr).not.toMatch(/epoch/);
    await expectForeignFolderIntact(dir);
  });

  it('init with such a dataDir is refused, every file intact', async () => {
    const { dir, config } = await writeSiteFiles(root, 'init-foreign', siteOf());
    await cp(await foreignFolder('init-foreign-db'), join(dir, 'db'), { recursive: true });
    await chmod(join(dir, 'db'), 0o700);
    const r = await swarmdAsync(['init', '--config', config, '--new-key']);
    expectOneLineError(r, /database folder .*db already holds files swarmd did not write/);
    await expectForeignFolderIntact(join(dir, 'db'));
  });

  it('start with such a dataDir is refused before any file is removed', async () => {
    const { dir, config } = await makeSite(root, 'start-foreign', siteOf());
    await rm(join(dir, 'db'), { recursive: true });
    await cp(await foreignFolder('start-foreign-db'), join(dir, 'db'), { recursive: true });
    await chmod(join(dir, 'db'), 0o700);
    const r = await swarmdAsync(['start', '--config', config]);
    expectOneLineError(r, /database folder .*db already holds files swarmd did not write/);
    await expectForeignFolderIntact(join(dir, 'db'));
  });

  it("train --out and init on another application's LevelDB write no key into it", async () => {
    const trained = await foreignLevelDb('their-db-train');
    expectOneLineError(
      await swarmdAsync(train(trained)),
      /their-db-train already holds files swarmd did not write/,
    );
    expect(await levelKeys(trained)).toEqual(['their-key']);
    const { dir, config } = await writeSiteFiles(root, 'init-their-db', siteOf());
    await foreignLevelDb(join('init-their-db', 'db'));
    const r = await swarmdAsync(['init', '--config', config]);
    expectOneLineError(r, /database folder .*db already holds files swarmd did not write/);
    expect(await levelKeys(join(dir, 'db'))).toEqual(['their-key']);
  });

  it('train --out a database of another key is refused before training: its owner could not read it', async () => {
    const other = join(root, 'other.key');
    await writeKeyFile(other, generateModelKey());
    const r = await swarmdAsync([
      'train',
      '--data',
      data,
      '--key',
      other,
      '--out',
      checkpoint,
      '--epochs',
      '1',
    ]);
    expectOneLineError(r, /does not match .*database .*ckpt/);
    expect(r.stderr).not.toMatch(/epoch/);
  });

  it('train --out an empty folder, then the same database again, both work', async () => {
    const dir = join(root, 'empty-out');
    await mkdir(dir, { mode: 0o700 });
    for (let i = 0; i < 2; i++) expect((await swarmdAsync(train(dir))).code).toBe(0);
    expect(await readdir(dir)).toContain('SWARMD-DATABASE');
  });
});

describe.concurrent(
  'infer --output: a new file or a predictions file; never an input, a secret or a device',
  () => {
    it('refuses the input CSV, the key file and the checkpoint, even with --force', async () => {
      const before = await Promise.all([data, key].map((p) => readFile(p)));
      for (const [target, what] of [
        [data, 'the input CSV'],
        [key, 'the model key file'],
      ]) {
        for (const force of [[], ['--force']]) {
          const r = await swarmdAsync(infer('--output', target, ...force));
          expectOneLineError(r, new RegExp(`predictions file ${target} is ${what}`));
        }
      }
      const after = await Promise.all([data, key].map((p) => readFile(p)));
      expect(after).toEqual(before);
      expect((await stat(key)).mode & 0o777).toBe(0o600);
    });

    it('refuses the exported checkpoint it reads, and another key file even with --force', async () => {
      const other = join(root, 'other-secret.key');
      await writeKeyFile(other, generateModelKey());
      const bytes = await readFile(swck);
      const args = [
        'infer',
        '--checkpoint',
        swck,
        '--key',
        key,
        '--input',
        data,
        '--output',
        swck,
        '--force',
      ];
      expectOneLineError(await swarmdAsync(args), /is the checkpoint \(--checkpoint\)/);
      expect(await readFile(swck)).toEqual(bytes);
      const secret = await readFile(other);
      const r2 = await swarmdAsync(infer('--output', other, '--force'));
      expectOneLineError(r2, /is a swarmd key file: swarmd never replaces a secret/);
      expect(await readFile(other)).toEqual(secret);
    });

    it('an existing file swarmd did not write needs --force; a predictions file is replaced', async () => {
      const notes = join(root, 'notes.txt');
      await writeFile(notes, 'my notes\n');
      expectOneLineError(await swarmdAsync(infer('--output', notes)), /notes\.txt already exists .*--force/);
      expect(await readFile(notes, 'utf8')).toBe('my notes\n');
      const forced = await swarmdAsync(infer('--output', notes, '--force'));
      expect(forced.code, forced.stderr).toBe(0);
      expect((await readFile(notes, 'utf8')).split('\n')[0]).toBe('sample_id,predicted,prob_a,prob_b');
      const again = await swarmdAsync(infer('--output', notes)); // now a predictions file swarmd wrote
      expect(again.code, again.stderr).toBe(0);
    });

    it('refuses a folder as --output', async () => {
      const r = await swarmdAsync(infer('--output', root));
      expectOneLineError(r, /predictions file .* is a folder/);
    });

    it('--output /dev/null works as a normal user and leaves the device a device', async () => {
      const asUser = process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
      const own = join(root, 'nobody');
      await mkdir(own);
      for (const f of ['good.csv', 'site.key']) await cp(join(root, f), join(own, f));
      await cp(checkpoint, join(own, 'ckpt'), { recursive: true });
      if (asUser.uid !== undefined) {
        for (const p of [own, join(own, 'good.csv'), join(own, 'site.key'), join(own, 'ckpt')])
          await chown(p, NOBODY, NOBODY);
        for (const f of await readdir(join(own, 'ckpt'))) await chown(join(own, 'ckpt', f), NOBODY, NOBODY);
      }
      const args = ['infer', '--checkpoint', join(own, 'ckpt'), '--key', join(own, 'site.key')];
      const r = await swarmdAsync(
        [...args, '--input', join(own, 'good.csv'), '--output', '/dev/null'],
        asUser,
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/wrote 60 predictions to \/dev\/null/);
      expect((await stat('/dev/null')).isCharacterDevice()).toBe(true);
    });
  },
);

describe.concurrent('exportCheckpoint and classes targets', () => {
  it('start refuses exportCheckpoint at the key file, the data file or /proc/version, each intact', async () => {
    for (const [target, what] of [
      ['site.key', /the model key file \(keyFile\)/],
      [data, /the data file \(data\.path\)/],
      ['/proc/version', /\/proc\/version (already exists|.*its folder \/proc is not writable)/],
    ] as const) {
      const name = `export-${String(target).replace(/\W/g, '')}`;
      const { dir, config } = await makeSite(root, name, siteOf({ exportCheckpoint: target }));
      const keyBytes = await readFile(join(dir, 'site.key'));
      const dataBytes = await readFile(data);
      const r = await swarmdAsync(['start', '--config', config]);
      expectOneLineError(r, what);
      expect(await readFile(join(dir, 'site.key'))).toEqual(keyBytes);
      expect((await stat(join(dir, 'site.key'))).mode & 0o777).toBe(0o600);
      expect(await readFile(data)).toEqual(dataBytes);
    }
  });

  it('classes --config refuses a site config, a folder, a CSV and broken YAML, each unchanged', async () => {
    const { config } = await writeSiteFiles(root, 'classes-site', siteOf());
    const broken = join(root, 'broken.yaml');
    await writeFile(broken, 'swarmId: x\nmodel: [\n');
    const listed = join(root, 'string-classes.yaml');
    await writeFile(listed, stringify({ swarmId: 'x', model: { classNames: 'a b' } }));
    const cases: [string, RegExp][] = [
      [config, /is a site config \(it has site:\), not the swarm config/],
      [root, /swarm config .* is a folder/],
      [data, /is the data file \(--data\)/],
      [broken, /broken\.yaml is not valid YAML/],
      [listed, /model\.classNames in .* is not a list of class names/],
    ];
    for (const [target, pattern] of cases) {
      const before = (await stat(target)).isFile() ? await readFile(target) : null;
      expectOneLineError(await swarmdAsync(['classes', '--data', data, '--config', target]), pattern);
      if (before) expect(await readFile(target)).toEqual(before);
    }
  });

  it('init --add-to-swarm with broken swarm YAML creates nothing', async () => {
    const { dir, config } = await writeSiteFiles(root, 'init-broken-swarm', siteOf());
    await writeFile(join(dir, 'swarm.yaml'), 'swarmId: x\nmembers: [\n');
    const r = await swarmdAsync(['init', '--config', config, '--new-key', '--add-to-swarm']);
    expectOneLineError(r, /swarm\.yaml is not valid YAML/);
    expect((await readdir(dir)).sort()).toEqual(['site.yaml', 'swarm.yaml']);
  });
});
