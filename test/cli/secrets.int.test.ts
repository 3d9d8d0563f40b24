import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, expectOneLineError, swarmdAsync, type CliResult } from '../helpers/cli.js';
import { makeSite } from '../helpers/site-files.js';

// No secret in any message (issue 21): each broken secret file, and a token in a status URL, fails with a
// clear error, and nothing the command prints holds the secret or a 12-character piece of it.

let root: string;
let data: string;

/** Every 12-character window of each form of the secret (hex both cases, base64): none may be printed. */
function pieces(secret: Buffer): string[] {
  const forms = [secret.toString('hex'), secret.toString('hex').toUpperCase(), secret.toString('base64')];
  return forms.flatMap((f) => Array.from({ length: f.length - 11 }, (_, i) => f.slice(i, i + 12)));
}

function expectNoSecret(r: CliResult, secret: Buffer): void {
  const printed = r.stdout + r.stderr;
  const leaked = pieces(secret).filter((p) => printed.includes(p));
  expect(leaked, printed).toEqual([]);
}

beforeAll(async () => {
  assertCliBuilt();
  root = await mkdtemp(join(tmpdir(), 'swarmd-secrets-'));
  data = join(root, 'good.csv');
  const rows = Array.from({ length: 30 }, (_, i) => `s${i},${i % 7},${i % 2},${'ab'[i % 2]}`);
  await writeFile(data, ['sample_id,f1,f2,label', ...rows].join('\n') + '\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe.concurrent('a broken swarm key file never prints the swarm secret', () => {
  const HEADER = '/key/swarm/psk/1.0.0/';
  const cases: [string, (hex: string) => string, RegExp][] = [
    ['no /base16/ line', (h) => `${HEADER}\n${h}\n`, /second line .* must be \/base16\/ \(it is missing/],
    ['no header line', (h) => `/base16/\n${h}\n`, /must start with the line/],
    ['the key alone', (h) => `${h}\n`, /must start with the line/],
    [
      'a non-hex digit',
      (h) => `${HEADER}\n/base16/\n${h.slice(0, 10)}g${h.slice(11)}`,
      /hexadecimal digits only/,
    ],
    ['a short key', (h) => `${HEADER}\n/base16/\n${h.slice(0, 62)}`, /must be 64 hex digits .* got 62/],
    ['the key twice', (h) => `${HEADER}\n/base16/\n${h}\n${h}\n`, /extra lines after the key/],
    [
      'base64 instead',
      (h) => `${HEADER}\n/base64/\n${Buffer.from(h, 'hex').toString('base64')}`,
      /\/base16\//,
    ],
  ];
  for (const [name, broken, pattern] of cases) {
    it(name, async () => {
      const { dir, config } = await makeSite(root, `psk-${name.replace(/\W/g, '')}`, {
        data,
        classNames: ['a', 'b'],
      });
      const psk = join(dir, 'swarm.psk');
      const hex = (await readFile(psk, 'utf8')).trim().split('\n')[2];
      await writeFile(psk, broken(hex));
      await chmod(psk, 0o600);
      const r = await swarmdAsync(['start', '--config', config]);
      expectOneLineError(r, pattern);
      expectNoSecret(r, Buffer.from(hex, 'hex'));
    });
  }
});

describe.concurrent('a broken model key file never prints the model key', () => {
  const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff));
  const key = secret.toString('base64');
  const body = (o: Record<string, unknown>) =>
    JSON.stringify({ format: 'swarmd-model-key', version: 1, key, fingerprint: '00'.repeat(16), ...o });
  const cases: [string, string, RegExp][] = [
    ['the bare base64 key', `${key}\n`, /is not a swarmd key file \(not JSON\)/],
    ['cut inside the key', body({}).slice(0, 60), /empty or truncated/],
    ['a 31-byte key', body({ key: secret.subarray(0, 31).toString('base64') }), /found 31 bytes/],
    ['padding junk after the key', body({ key: `${key}AA` }), /does not hold a 32-byte base64 key/],
    ['a wrong fingerprint', body({}), /stored fingerprint .* does not match its key/],
    ['another format', body({ format: key }), /format is not "swarmd-model-key"/],
    ['the key as its version', body({ version: key }), /has no version number/],
  ];
  for (const [name, text, pattern] of cases) {
    it(name, async () => {
      const path = join(root, `${name.replace(/\W/g, '')}.key`);
      await writeFile(path, text, { mode: 0o600 });
      const r = await swarmdAsync(['infer', '--checkpoint', root, '--key', path, '--input', data]);
      expectOneLineError(r, pattern);
      expectNoSecret(r, secret);
    });
  }
});

describe.concurrent('a token never appears in a message', () => {
  const token = 'status-token-0123456789abcdef';
  it('status --url with user:token@ is refused without echoing the token', async () => {
    for (const url of [`http://admin:${token}@127.0.0.1:9`, `admin:${token}@127.0.0.1:9`]) {
      const r = await swarmdAsync(['status', '--url', url]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout + r.stderr).not.toContain(token);
      expect(r.stdout + r.stderr).not.toContain('0123456789ab');
    }
  });

  it('a site config with a short http.token is refused without echoing it', async () => {
    const { config } = await makeSite(root, 'short-token', { data, classNames: ['a', 'b'] });
    const site = {
      site: 'x',
      dataDir: 'db',
      keyFile: 'site.key',
      swarmConfig: 'swarm.yaml',
      data: { path: data },
    };
    await writeFile(config, stringify({ ...site, http: { token: 'tok 12345' } }));
    const r = await swarmdAsync(['start', '--config', config]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/http\.token/);
    expect(r.stdout + r.stderr).not.toContain('tok 12345');
  });
});
