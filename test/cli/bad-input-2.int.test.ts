import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateModelKey, loadKeyFile, writeKeyFile } from '../../src/inr/index.js';
import { exportCheckpointFile, openCheckpoint } from '../../src/storage/index.js';
import {
  assertCliBuilt,
  expectOneLineError,
  swarmdAsync,
  userLines,
  type CliResult,
} from '../helpers/cli.js';
import { makeSite, trainCheckpoint, writeSiteFiles } from '../helpers/site-files.js';

// The second bad-input campaign (issue 21), through the built CLI: internal errors that became clear ones,
// input that was accepted silently and is refused now, and valid input that was refused. `good.csv` is the
// issue's 60 rows of sample_id,f1,f2,f3,label.

let root: string;
let data: string;
let key: string;
let checkpoint: string;

const ROWS = Array.from({ length: 60 }, (_, i) => [
  `s${i}`,
  `${i % 7}`,
  `${(i * 3) % 5}`,
  `${i % 2}`,
  'ab'[i % 2],
]);

/** good.csv with `edit` applied to its rows (header first). */
async function csvFile(name: string, edit: (rows: string[][]) => string[][] = (r) => r): Promise<string> {
  const path = join(root, name);
  const rows = edit([['sample_id', 'f1', 'f2', 'f3', 'label'], ...ROWS.map((r) => [...r])]);
  await writeFile(path, rows.map((r) => r.join(',')).join('\n') + '\n');
  return path;
}

const train = (csv: string, ...extra: string[]) => [
  ...[
    'train',
    '--data',
    csv,
    '--key',
    key,
    '--out',
    join(root, `out-${Math.random().toString(36).slice(2)}`),
  ],
  ...['--epochs', '1', ...extra],
];

/** A config refusal: exit 1, the message (possibly one line per problem) matching, no stack. */
function expectConfigError(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(userLines(r.stderr)[0]).toMatch(/^error: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at .+[:(]\d+/m);
}

/** A site set up in-process, then its site.yaml or swarm.yaml edited, and `swarmd start` run on it. */
async function startEdited(
  name: string,
  edit: { site?: Record<string, unknown>; swarm?: (s: Record<string, unknown>) => void },
) {
  const { dir, config } = await makeSite(root, name, { data, classNames: ['a', 'b'] });
  const rewrite = async (path: string, change: (doc: Record<string, unknown>) => void) => {
    const doc = parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    change(doc);
    await writeFile(path, stringify(doc));
  };
  if (edit.site) await rewrite(config, (doc) => Object.assign(doc, edit.site));
  if (edit.swarm) await rewrite(join(dir, 'swarm.yaml'), edit.swarm);
  return swarmdAsync(['start', '--config', config]);
}

beforeAll(async () => {
  assertCliBuilt();
  root = await mkdtemp(join(tmpdir(), 'swarmd-bad-input-2-'));
  data = await csvFile('good.csv');
  key = join(root, 'site.key');
  await writeKeyFile(key, generateModelKey());
  checkpoint = join(root, 'ckpt');
  await trainCheckpoint(data, key, checkpoint, { arch: 'linear', epochs: 1 });
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe.concurrent('internal errors are clear ones', () => {
  it('a gzip bomb stops at the size limit with a message (train, classes)', async () => {
    // 700 gzip members of 1 MiB of "0," each: 0.7 MB that decompress to 700 MiB, past Node's longest string.
    const member = gzipSync(Buffer.alloc(2 ** 20, '0,'));
    const bomb = join(root, 'bomb.csv.gz');
    await writeFile(bomb, Buffer.concat([gzipSync('sample_id,f1,label\n'), ...Array(700).fill(member)]));
    expect((await stat(bomb)).size).toBeLessThan(2_000_000);
    expectOneLineError(await swarmdAsync(train(bomb)), /bomb\.csv\.gz decompresses to more than \d+ MiB/);
    const swarm = join(root, 'bomb-swarm.yaml');
    await writeFile(swarm, 'swarmId: x\n');
    const r = await swarmdAsync(['classes', '--data', bomb, '--config', swarm]);
    expectOneLineError(r, /decompresses to more than/);
  });

  it('random bytes are named as binary, not as a truncated quoted field', async () => {
    const path = join(root, 'random.csv');
    await writeFile(path, Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 256)));
    expectOneLineError(await swarmdAsync(train(path)), /random\.csv is not a text CSV file/);
  });

  it('migrate --checkpoint <folder> points at --db', async () => {
    const r = await swarmdAsync(['migrate', '--checkpoint', checkpoint, '--key', key]);
    expectOneLineError(r, /--checkpoint .*ckpt is a folder: .* pass --db/);
  });

  it('a dataDir with a 300-character name says the name is too long', async () => {
    const { config } = await writeSiteFiles(root, 'long-name', {
      data,
      classNames: ['a', 'b'],
      site: { dataDir: `${'x'.repeat(300)}/db` },
    });
    expectOneLineError(await swarmdAsync(['init', '--config', config]), /a name in the path is too long/);
  });

  it('init --new-key over an existing key file does not suggest --force (init has none)', async () => {
    const { config } = await makeSite(root, 'new-key-again', { data, classNames: ['a', 'b'] });
    const r = await swarmdAsync(['init', '--config', config, '--new-key']);
    expectOneLineError(r, /keyFile .*site\.key already exists: run init without --new-key/);
    expect(r.stderr).not.toMatch(/--force/);
  });

  it('--key <folder> says it is a folder, not to chmod it', async () => {
    const r = await swarmdAsync(['infer', '--checkpoint', checkpoint, '--key', root, '--input', data]);
    expectOneLineError(r, /key file .* is a folder: pass the file that holds the model key/);
    expect(r.stderr).not.toMatch(/chmod/);
  });
});

describe.concurrent('arguments and CSV oddities are refused, not read silently', () => {
  it('--ignore f1, f2 (a space after the comma) and a stray argument', async () => {
    expectOneLineError(
      await swarmdAsync(train(data, '--ignore', 'f1,', 'f2')),
      /'f1,' ends in a comma: write the list as one word/,
    );
    expectOneLineError(
      await swarmdAsync([...train(data), 'extra']),
      /unexpected argument 'extra' for 'train'/,
    );
  });

  it('--ignore of the label column', async () => {
    expectOneLineError(await swarmdAsync(train(data, '--ignore', 'label')), /'label' is the label column/);
  });

  it("labels 'a' and 'a ', and '0' and '0.0', are one class spelled two ways", async () => {
    const padded = await csvFile('padded.csv', (r) =>
      r.map((row, i) => (i === 5 ? [...row.slice(0, 4), 'a '] : row)),
    );
    expectOneLineError(
      await swarmdAsync(train(padded)),
      /spells one class two ways: "a" \(line 2\) and "a " \(line 6\)/,
    );
    const numeric = await csvFile('numeric.csv', (r) =>
      r.map((row, i) => (i === 0 ? row : [...row.slice(0, 4), i === 3 ? '0.0' : String((i - 1) % 2)])),
    );
    expectOneLineError(
      await swarmdAsync(train(numeric)),
      /spells one class two ways: "0" \(line 2\) and "0\.0" \(line 4\)/,
    );
  });

  it('0x1A is not read as 26', async () => {
    const hex = await csvFile('hex.csv', (r) =>
      r.map((row, i) => (i === 4 ? [row[0], '0x1A', ...row.slice(2)] : row)),
    );
    expectOneLineError(await swarmdAsync(train(hex)), /column\(s\) are not numeric: 'f1' \(line 5: "0x1A"\)/);
  });

  it('a feature column empty in every row, and a trailing comma', async () => {
    const na = await csvFile('na.csv', (r) =>
      r.map((row, i) => (i === 0 ? row : [row[0], row[1], 'NA', ...row.slice(3)])),
    );
    expectOneLineError(
      await swarmdAsync(train(na)),
      /column\(s\) 'f2' hold no value in any row: pass --ignore f2/,
    );
    const trailing = await csvFile('trailing.csv', (r) => r.map((row) => [...row, '']));
    expectOneLineError(
      await swarmdAsync(train(trailing)),
      /column without a name \(column 6 of 6: a trailing comma\?\)/,
    );
  });

  it('predictions quote ids with commas and defuse ids a spreadsheet would run as formulas', async () => {
    const ids = await csvFile('ids.csv', (r) =>
      r.map((row, i) =>
        i === 1 ? ['"x,1"', ...row.slice(1)] : i === 2 ? ['=HYPERLINK(1)', ...row.slice(1)] : row,
      ),
    );
    const r = await swarmdAsync(['infer', '--checkpoint', checkpoint, '--key', key, '--input', ids]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^"x,1",[ab],0\.\d{6},0\.\d{6}$/);
    expect(lines[2]).toMatch(/^'=HYPERLINK\(1\),[ab],/);
    expect(lines[3]).toMatch(/^s2,/);
  });
});

describe.concurrent('configs and keys are checked where they enter', () => {
  it('an http.token with a space', async () => {
    expectConfigError(
      await startEdited('token-space', { site: { http: { token: 'abcdefgh ijklmnopq' } } }),
      /http\.token: a token is one word/,
    );
  });

  it('listen: []', async () => {
    expectConfigError(
      await startEdited('listen-empty', { site: { listen: [] } }),
      /listen: list at least one address/,
    );
  });

  it('a bootstrap address whose /p2p/ part is not a peer id', async () => {
    const r = await startEdited('bad-p2p', {
      site: { bootstrap: ['/ip4/127.0.0.1/tcp/4001/p2p/QmNotAPeerId'] },
    });
    expectConfigError(r, /bootstrap\.0: .*ends in a \/p2p\/ part that is not a libp2p peer id/);
  });

  it('duplicate member names and duplicate classNames', async () => {
    const twice = await startEdited('dup-names', {
      swarm: (s) => {
        const [m] = s.members as { name: string; peerId: string }[];
        s.members = [m, { name: m.name, peerId: '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq' }];
      },
    });
    expectConfigError(twice, /a member name is listed twice/);
    const classes = await startEdited('dup-classes', {
      swarm: (s) => ((s.model as { classNames: string[] }).classNames = ['a', 'b', 'a ']),
    });
    expectConfigError(classes, /model\.classNames: a class is listed twice/);
  });

  it('an all-zero swarm key and an all-zero model key', async () => {
    const { dir, config } = await makeSite(root, 'zero-psk', { data, classNames: ['a', 'b'] });
    await writeFile(join(dir, 'swarm.psk'), `/key/swarm/psk/1.0.0/\n/base16/\n${'0'.repeat(64)}`);
    await chmod(join(dir, 'swarm.psk'), 0o600);
    expectOneLineError(await swarmdAsync(['start', '--config', config]), /swarm key is one byte repeated/);
    const zero = join(root, 'zero.key');
    const body = { format: 'swarmd-model-key', version: 1, key: Buffer.alloc(32).toString('base64') };
    // The fingerprint of 32 zero bytes as keygen stores one (domain-separated SHA-256, first 16 bytes), so only
    // the weakness is wrong.
    const sha = createHash('sha256').update('swarmd-model-key-fingerprint-v1\0').update(Buffer.alloc(32));
    const fingerprint = sha.digest().subarray(0, 16).toString('hex');
    await writeFile(zero, JSON.stringify({ ...body, fingerprint }), { mode: 0o600 });
    const r = await swarmdAsync(['infer', '--checkpoint', checkpoint, '--key', zero, '--input', data]);
    expectOneLineError(r, /key of one repeated byte \(all zeros\?\)/);
  });

  it('dataDir: ~/x is the home folder, not a folder named ~', async () => {
    const home = join(root, 'home');
    await mkdir(home);
    const { dir, config } = await writeSiteFiles(root, 'tilde', {
      data,
      classNames: ['a', 'b'],
      site: { dataDir: '~/swarmd-db' },
    });
    const r = await swarmdAsync(['init', '--config', config, '--new-key'], { env: { HOME: home } });
    expect(r.code, r.stderr).toBe(0);
    expect(await readdir(home)).toEqual(['swarmd-db']);
    expect(await readdir(dir)).not.toContain('~');
  });
});

describe.concurrent('valid input that was refused', () => {
  it('an exported checkpoint whose name holds a #', async () => {
    const k = await loadKeyFile(key);
    const swck = join(root, 'model#2.swck');
    await exportCheckpointFile(await openCheckpoint(checkpoint, k), swck, k);
    const r = await swarmdAsync(['infer', '--checkpoint', swck, '--key', key, '--input', data]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('sample_id,predicted,prob_a,prob_b');
  });
});
