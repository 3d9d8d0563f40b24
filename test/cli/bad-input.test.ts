import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateModelKey, writeKeyFile } from '../../src/inr/index.js';
import {
  makeSite as makeSiteIn,
  trainCheckpoint,
  writeSiteFiles as writeSiteFilesIn,
} from '../helpers/site-files.js';
import { assertCliBuilt, expectOneLineError, swarmdAsync, userLines } from '../helpers/cli.js';

// A careless user's inputs, through the built CLI as real processes: every expected failure exits 1 with
// one line that says what to do; nothing exits 0 on nonsense, hangs, or prints a stack.
const WDBC = resolve('data/sklearn_breast_cancer_wdbc.csv.gz');

let root: string;
let key: string;
let csv: string[]; // WDBC as lines: header, then 569 rows
let checkpoint: string;

/** WDBC with `cells` ([line, column, value]; line 1 is the header) replaced. */
async function editedCsv(name: string, cells: [number, number, string][]): Promise<string> {
  const lines = csv.map((l) => l.split(','));
  for (const [line, col, value] of cells) lines[line - 1][col] = value;
  const path = join(root, name);
  await writeFile(path, lines.map((l) => l.join(',')).join('\n') + '\n');
  return path;
}

const siteFiles = (site: Record<string, unknown> = {}) => ({ data: WDBC, classNames: ['0', '1'], site });
const writeSiteFiles = (name: string, site: Record<string, unknown> = {}) =>
  writeSiteFilesIn(root, name, siteFiles(site));
const makeSite = (name: string, site: Record<string, unknown> = {}) =>
  makeSiteIn(root, name, siteFiles(site));

const train = (...extra: string[]) => [
  'train',
  '--data',
  WDBC,
  '--key',
  key,
  '--out',
  join(root, `ckpt-${extra.join('')}`),
  '--backend',
  'cpu',
  ...extra,
];

beforeAll(async () => {
  assertCliBuilt();
  root = await mkdtemp(join(tmpdir(), 'swarmd-bad-input-'));
  key = join(root, 'site.key');
  await writeKeyFile(key, generateModelKey());
  csv = gunzipSync(await readFile(WDBC))
    .toString('utf8')
    .trim()
    .split('\n');
  checkpoint = join(root, 'ckpt');
  await trainCheckpoint(WDBC, key, checkpoint, { arch: 'mlp', epochs: 2 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe.concurrent('numeric flags are checked where they enter, with the allowed range', () => {
  // Otherwise valid commands (built when the test runs, after beforeAll): only the flag is wrong.
  const cases: [string, string, string, RegExp][] = [
    ['train', '--epochs', '0', /'--epochs <n>' argument '0'.*whole number from 1 to 10000/],
    ['train', '--epochs', '-1', /'--epochs <n>' argument '-1'.*whole number from 1 to 10000/],
    ['train', '--epochs', 'abc', /'--epochs <n>' argument 'abc'.*whole number from 1 to 10000/],
    ['train', '--batch-size', '0', /'--batch-size <n>' argument '0'.*whole number from 1 to 65536/],
    ['train', '--batch-size', 'abc', /'--batch-size <n>' argument 'abc'.*whole number from 1 to 65536/],
    ['train', '--lr', '-1', /'--lr <x>' argument '-1'.*a number above 0 and at most 1/],
    ['train', '--lr', 'abc', /'--lr <x>' argument 'abc'.*a number above 0 and at most 1/],
    ['train', '--test-fraction', '1', /'--test-fraction <f>'.*at least 0 and below 1/],
    ['demo', '--sites', '0', /'--sites <n>' argument '0'.*whole number from 1 to 26/],
    ['demo', '--sites', 'abc', /'--sites <n>' argument 'abc'.*whole number from 1 to 26/],
    ['demo', '--rounds', '1.5', /'--rounds <n>' argument '1.5'.*whole number from 1 to 1000/],
    ['demo', '--dp-noise', '0', /'--dp-noise <sigma>' argument '0'.*above 0/],
    ['demo', '--dp-delta', '0.5', /'--dp-delta <delta>' argument '0.5'.*at most 0.01/],
  ];
  for (const [command, flag, value, pattern] of cases) {
    it(`${command} refuses ${flag} ${value}`, async () => {
      const args = command === 'train' ? train(flag, value) : [command, flag, value];
      expectOneLineError(await swarmdAsync(args, { timeoutMs: 60_000 }), pattern);
    });
  }
});

describe.concurrent('expected failures are one line that says what to do', () => {
  it('demo --dp-noise without --aggregation secure', async () => {
    const r = await swarmdAsync(['demo', '--dp-noise', '1'], { timeoutMs: 60_000 });
    expectOneLineError(r, /--dp-noise needs --aggregation secure: with plain aggregation/);
  });

  it('a CSV with a header and two rows is too few to split', async () => {
    const path = join(root, 'two-rows.csv');
    const two = [csv[0], csv[1], csv.find((l) => l.endsWith(',1'))!];
    expect(two[1].endsWith(',0')).toBe(true); // one row of each class
    await writeFile(path, two.join('\n') + '\n');
    const r = await swarmdAsync([
      'train',
      '--data',
      path,
      '--key',
      key,
      '--out',
      join(root, 'c2'),
      '--backend',
      'cpu',
    ]);
    expectOneLineError(r, /2 data row\(s\) are too few to split .* at least 3 rows of each class/);
  });

  it('infer --output into a missing folder', async () => {
    const out = '/no/such/dir/p.csv';
    const r = await swarmdAsync([
      'infer',
      '--checkpoint',
      checkpoint,
      '--key',
      key,
      '--input',
      WDBC,
      '--output',
      out,
    ]);
    expectOneLineError(
      r,
      /cannot write predictions file \/no\/such\/dir\/p\.csv: its folder \/no\/such\/dir does not exist/,
    );
  });

  it('status --url that is not a URL', async () => {
    expectOneLineError(
      await swarmdAsync(['status', '--url', 'notaurl']),
      /"notaurl" is not an http\(s\) URL/,
    );
  });

  it('init --new-psk into a missing folder', async () => {
    const { config } = await makeSite('psk-nowhere');
    const r = await swarmdAsync(['init', '--config', config, '--new-psk', '/no/dir/x.psk']);
    expectOneLineError(r, /cannot write the swarm key file \/no\/dir\/x\.psk: its folder does not exist/);
  });

  it('start with a rowsFile that does not exist', async () => {
    const { config } = await makeSite('no-rows', { data: { path: WDBC, rowsFile: 'missing-rows.txt' } });
    const r = await swarmdAsync(['start', '--config', config]);
    expectOneLineError(
      r,
      /cannot read the rows file .*missing-rows\.txt \(data\.rowsFile\): it does not exist/,
    );
  });

  it('start on a port in use names the address and the cause', async () => {
    const server: Server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const port = (server.address() as { port: number }).port;
      const { config } = await makeSite('port-taken', { listen: [`/ip4/127.0.0.1/tcp/${port}`] });
      const r = await swarmdAsync(['start', '--config', config]);
      expectOneLineError(
        r,
        new RegExp(
          `cannot listen for swarm peers on /ip4/127.0.0.1/tcp/${port}: the port is already in use.*change \`listen\``,
        ),
      );
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('start on an unsupported transport', async () => {
    const { config } = await makeSite('quic', { listen: ['/ip4/127.0.0.1/udp/4999/quic-v1'] });
    const r = await swarmdAsync(['start', '--config', config]);
    expectOneLineError(
      r,
      /\/ip4\/127\.0\.0\.1\/udp\/4999\/quic-v1: unsupported transport \(swarmd listens on TCP only/,
    );
  });

  it('an unexpected error prints one line and the path of a log holding the stack', async () => {
    // A fault injected into the real process: URL.canParse throws a RangeError that swarmd does not expect.
    const inject = 'data:text/javascript,URL.canParse=()=>{throw new RangeError("injected fault")}';
    const r = await swarmdAsync(['status', '--url', 'http://127.0.0.1:1'], {
      nodeArgs: ['--import', inject],
    });
    const lines = userLines(r.stderr);
    expect(r.code, r.stderr).toBe(70);
    expect(lines, r.stderr).toHaveLength(1);
    const m =
      /^internal error: injected fault \(details in (\S+swarmd-crash-\S+\.log); please report it\)$/.exec(
        lines[0],
      );
    expect(m, lines[0]).not.toBeNull();
    const log = await readFile(m![1], 'utf8');
    expect(log).toMatch(/RangeError: injected fault\n\s+at /);
    expect((await stat(m![1])).mode & 0o777).toBe(0o600);
    await rm(m![1]);
  });
});

describe.concurrent('infinite and absurd feature values', () => {
  it('training refuses Infinity, naming the column and the line', async () => {
    const data = await editedCsv('inf.csv', [[6, 3, 'Infinity']]);
    const r = await swarmdAsync([
      'train',
      '--data',
      data,
      '--key',
      key,
      '--out',
      join(root, 'c-inf'),
      '--backend',
      'cpu',
    ]);
    expectOneLineError(
      r,
      /1 feature value\(s\) are infinite or beyond ±1e30: column 'mean perimeter' line 6 \("Infinity"\)/,
    );
  });

  it('inference refuses 1e39, and with --allow-nonfinite warns once per row', async () => {
    const data = await editedCsv('big.csv', [
      [6, 3, '1e39'],
      [10, 1, '-Infinity'],
      [10, 2, '1e31'],
    ]);
    const args = ['infer', '--checkpoint', checkpoint, '--key', key, '--input', data, '--backend', 'cpu'];
    const refused = await swarmdAsync(args);
    expectOneLineError(
      refused,
      /3 feature value\(s\) .* column 'mean perimeter' line 6 \("1e39"\).*--allow-nonfinite/,
    );
    expect(refused.stdout).toBe('');

    const warned = await swarmdAsync([...args, '--allow-nonfinite']);
    expect(warned.code, warned.stderr).toBe(0);
    const warnings = userLines(warned.stderr).filter((l) => l.startsWith('warning:'));
    expect(warnings).toEqual([
      `warning: sample ${csv[5].split(',')[0]} (line 6): 'mean perimeter' = 1e39 read as missing (imputed with the training mean); its prediction is less reliable`,
      `warning: sample ${csv[9].split(',')[0]} (line 10): 'mean radius' = -Infinity, 'mean texture' = 1e31 read as missing (imputed with the training mean); its prediction is less reliable`,
    ]);
    const predictions = warned.stdout.trim().split('\n');
    expect(predictions).toHaveLength(csv.length);
    for (const line of predictions.slice(1)) {
      const probs = line.split(',').slice(2).map(Number);
      expect(probs.every(Number.isFinite)).toBe(true);
    }
  });
});

describe.concurrent('secret files and the data directory are owner-only', () => {
  async function copyKey(name: string, mode: number): Promise<string> {
    const path = join(root, name);
    await writeFile(path, await readFile(key), { mode });
    await chmod(path, mode); // the umask may have cleared bits
    return path;
  }

  it('init writes the key and PSK 0600 and creates the data directory 0700', async () => {
    const { dir, config } = await writeSiteFiles('modes');
    const psk = join(dir, 'swarm.psk');
    const r = await swarmdAsync([
      'init',
      '--config',
      config,
      '--new-key',
      '--new-psk',
      psk,
      '--add-to-swarm',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((await stat(join(dir, 'site.key'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'swarm.psk'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'db'))).mode & 0o777).toBe(0o700);
  });

  it('a model key readable by group or others is refused with the chmod command', async () => {
    for (const mode of [0o644, 0o640]) {
      const path = await copyKey(`open-${mode.toString(8)}.key`, mode);
      const r = await swarmdAsync(['infer', '--checkpoint', checkpoint, '--key', path, '--input', WDBC]);
      expectOneLineError(
        r,
        new RegExp(`key file ${path} holds the model key .*mode ${mode.toString(8)}.*\`chmod 600 ${path}\``),
      );
    }
  });

  it('start refuses a PSK others can read, then a data directory others can enter', async () => {
    const { dir, config } = await makeSite('open-secrets');
    await chmod(join(dir, 'db'), 0o755);
    const openDir = await swarmdAsync(['start', '--config', config]);
    expectOneLineError(
      openDir,
      new RegExp(
        `data directory ${join(dir, 'db')} holds the peer identity key .*\`chmod 700 ${join(dir, 'db')}\``,
      ),
    );
    await chmod(join(dir, 'db'), 0o700);
    await chmod(join(dir, 'swarm.psk'), 0o644);
    const openPsk = await swarmdAsync(['start', '--config', config]);
    expectOneLineError(
      openPsk,
      new RegExp(`swarm key file ${join(dir, 'swarm.psk')} .*\`chmod 600 ${join(dir, 'swarm.psk')}\``),
    );
  });
});
