import fc from 'fast-check';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnershipError, claimFolder, writeOutput, type OutputFile } from '../../src/core/index.js';

// "May swarmd write here" over every kind of target (issue 21): what happens is decided by a table written
// here, independently of the module, and whatever is refused is left byte for byte as it was.

const OURS = 'OURS v1\nrest of a file swarmd wrote\n';
const TARGETS = [
  'absent',
  'no-folder',
  'ours',
  'foreign',
  'input',
  'input-ours',
  'model-key',
  'psk',
  'folder',
  'dev-null',
  'link-ours',
  'link-foreign',
] as const;
type Target = (typeof TARGETS)[number];

/** The expected outcome: 'written' (a new or replaced file), 'in-place' (a device), or the refusal's code. */
function expected(t: Target, force: boolean): string {
  const table: Record<Target, string> = {
    absent: 'written',
    'no-folder': 'OUTPUT_FOLDER',
    ours: 'written',
    foreign: force ? 'written' : 'OUTPUT_EXISTS',
    input: 'OUTPUT_IS_INPUT',
    'input-ours': 'OUTPUT_IS_INPUT',
    'model-key': 'OUTPUT_IS_SECRET',
    psk: 'OUTPUT_IS_SECRET',
    folder: 'OUTPUT_NOT_FILE',
    'dev-null': 'in-place',
    'link-ours': 'written',
    'link-foreign': force ? 'written' : 'OUTPUT_EXISTS',
  };
  return table[t];
}

let root: string;
let n = 0;

/** Makes `t` in a fresh folder; returns the target path, the command's input and every file's content. */
async function make(t: Target): Promise<{ path: string; input: string; dir: string }> {
  const dir = join(root, String(n++));
  await mkdir(dir);
  const input = join(dir, 'input.csv');
  await writeFile(input, t === 'input-ours' ? OURS : 'f1,label\n1,a\n');
  const at = join(dir, 'out');
  const files: Partial<Record<Target, () => Promise<string>>> = {
    absent: async () => at,
    'no-folder': async () => join(dir, 'missing', 'out'),
    ours: () => writeFile(at, OURS).then(() => at),
    foreign: () => writeFile(at, 'my notes\n').then(() => at),
    input: async () => input,
    'input-ours': async () => input,
    'model-key': () => writeFile(at, ' {"format": "swarmd-model-key","version":1}\n').then(() => at),
    psk: () => writeFile(at, '/key/swarm/psk/1.0.0/\n/base16/\n' + 'ab'.repeat(32)).then(() => at),
    folder: () => mkdir(at).then(() => at),
    'dev-null': async () => '/dev/null',
    'link-ours': async () => {
      await writeFile(join(dir, 'real'), OURS);
      await symlink(join(dir, 'real'), at);
      return at;
    },
    'link-foreign': async () => {
      await writeFile(join(dir, 'real'), 'my notes\n');
      await symlink(join(dir, 'real'), at);
      return at;
    },
  };
  return { path: await files[t]!(), input, dir };
}

/** Every file under `dir` with its content (links as links), for before/after comparison. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true })) {
    const p = join(dir, e);
    const info = await lstat(p);
    out[e] = info.isSymbolicLink() ? 'link' : info.isDirectory() ? 'dir' : await readFile(p, 'utf8');
  }
  return out;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'swarmd-ownership-prop-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('output targets (property)', () => {
  it('writes, writes in place or refuses as the table says; a refusal changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TARGETS), fc.boolean(), async (t, force) => {
        const { path, input, dir } = await make(t);
        const before = await snapshot(dir);
        const o: OutputFile = {
          path,
          what: 'output',
          fix: 'pick another',
          isOurs: (head) => head.toString('utf8').startsWith('OURS v1\n'),
          inputs: [{ path: input, what: 'the input' }],
          force,
        };
        const want = expected(t, force);
        const got = await writeOutput(o, 'NEW\n').then(
          (p) => (p.kind === 'in-place' ? 'in-place' : 'written'),
          (err: unknown) => {
            expect(err).toBeInstanceOf(OwnershipError);
            return (err as OwnershipError).code;
          },
        );
        expect(got).toBe(want);
        const after = await snapshot(dir);
        if (want === 'written') {
          const real = t.startsWith('link') ? join(dir, 'real') : path;
          expect(await readFile(real, 'utf8')).toBe('NEW\n');
          if (t.startsWith('link')) expect((await lstat(path)).isSymbolicLink()).toBe(true);
          expect(Object.keys(after).filter((f) => f.includes('.tmp-'))).toEqual([]);
        } else if (want === 'in-place') {
          expect(after).toEqual(before);
          expect((await lstat('/dev/null')).isCharacterDevice()).toBe(true);
        } else {
          expect(after).toEqual(before);
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('database folders (property)', () => {
  const NAMES = [
    'CURRENT',
    'LOG',
    'LOG.old',
    '000005.log',
    '000009.ldb',
    'MANIFEST-000001',
    'notes.txt',
    'MARK',
  ];
  it('claims a missing, empty or marked folder; refuses any other, naming a file, and leaves it as it was', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(fc.subarray(NAMES), { nil: undefined }), async (names) => {
        const dir = join(root, String(n++));
        if (names !== undefined) {
          await mkdir(dir);
          for (const f of names) await writeFile(join(dir, f), 'x\n');
        }
        const ok = names === undefined || names.length === 0 || names.includes('MARK');
        const before = names === undefined ? null : await snapshot(dir);
        const got = await claimFolder({ path: dir, what: 'database folder', marker: 'MARK' }).then(
          () => 'claimed',
          (err: unknown) => err as OwnershipError,
        );
        if (ok) {
          expect(got).toBe('claimed');
          expect(await readdir(dir)).toContain('MARK');
        } else {
          expect((got as OwnershipError).code).toBe('FOLDER_NOT_OURS');
          expect((got as OwnershipError).message).toContain([...names!].sort()[0]);
          expect(await snapshot(dir)).toEqual(before);
        }
      }),
      { numRuns: 100 },
    );
  });
});
