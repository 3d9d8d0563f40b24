import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The README's site-server install, outside the clone: `npm pack` here, `npm install -g` of the tarball into
// an empty prefix (dependencies from the npm cache that `npm ci` filled), then the installed `swarmd`.
const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const INSTALL_TIMEOUT_MS = 420_000; // ~1 minute on an idle 2-core machine; 5 under load

interface PackEntry {
  filename: string;
  files: { path: string }[];
}

describe('swarmd installed from a packed tarball', () => {
  let dir: string;
  let pack: PackEntry;
  const swarmd = (...args: string[]) =>
    run(join(dir, 'prefix', 'bin', 'swarmd'), args, { cwd: dir, timeout: 60_000 });

  beforeAll(async () => {
    if (!existsSync('dist/src/cli.js')) throw new Error('dist/ is missing: run `npm run build` first');
    dir = await mkdtemp(join(tmpdir(), 'swarmd-install-'));
    // dist/ is already built (npm test's pretest); --ignore-scripts skips a second tsc run.
    const packed = await run(NPM, ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      timeout: 60_000,
    });
    pack = (JSON.parse(packed.stdout) as PackEntry[])[0];
    await run(
      NPM,
      [
        'install',
        '--global',
        '--prefix',
        join(dir, 'prefix'),
        join(dir, pack.filename),
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
      ],
      { cwd: dir, timeout: INSTALL_TIMEOUT_MS },
    );
  }, INSTALL_TIMEOUT_MS + 60_000);
  afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

  it('ships the compiled CLI and the bundled data, not the TypeScript sources', () => {
    const paths = pack.files.map((f) => f.path);
    expect(paths).toContain('dist/src/cli.js');
    expect(paths).toContain('data/sklearn_breast_cancer_wdbc.csv.gz');
    expect(paths).toContain('configs/swarm.yaml');
    expect(paths.filter((p) => p.endsWith('.ts'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('dist/bench/'))).toEqual([]);
  });

  it('runs --help and keygen from the installed bin outside the clone', async () => {
    const help = await swarmd('--help');
    expect(help.stdout).toMatch(/Usage: swarmd/);
    for (const command of ['init', 'start', 'status', 'train', 'infer', 'keygen'])
      expect(help.stdout).toContain(command);
    const key = join(dir, 'k.key');
    const keygen = await swarmd('keygen', '--out', key);
    expect(keygen.stdout).toMatch(/fingerprint [0-9a-f]{32}/);
    expect((await stat(key)).mode & 0o777).toBe(0o600);
  });
});
