import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { swarmdAsync } from '../helpers/cli.js';

/*
 * `swarmd start` cannot load attack code: every module the CLI can import — statically or through the
 * lazy `import()` of its command parts — is walked from its entry, in the TypeScript sources and in the
 * build, and none is a harness module or holds the attack implementation. The same walk from the attack
 * demo's site entry does reach it (the control: the walk follows the imports that would bring it in).
 */

/** Names only the attack harness defines (bench/attacks.ts, bench/demo-attack/). */
const ATTACK_MARKERS = [
  'attackUpdate',
  'ATTACK_PARAMS',
  'flipLabel',
  'attackingWork',
  'AttackingWork',
  'DEMO ATTACKER',
  'SWARMD_DEMO_ATTACK',
];

// Relative imports (static, side-effect, lazy `import()`) and `new URL('./x.js', import.meta.url)`, which is
// how the training worker's entry and the launched CLI are named.
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)['"](\.{1,2}\/[^'"]+\.js)['"]/g;

/** Every file reachable from `entry` by relative imports (`.js` specifiers name `.ts` files in the sources). */
function moduleGraph(entry: string): Map<string, string> {
  const sources = entry.endsWith('.ts');
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const [, spec] of text.matchAll(IMPORT)) {
      const target = resolve(dirname(file), spec);
      const next = sources ? target.replace(/\.js$/, '.ts') : target;
      // From the sources, a URL into the build (the worker and CLI as tests load them) is the build's graph;
      // in the build, the URL the sources' branch names (`../../dist/…` from dist/) does not exist.
      if (sources && relative(process.cwd(), next).startsWith('dist/')) continue;
      if (!sources && !existsSync(next)) continue;
      visit(next);
    }
  };
  visit(resolve(entry));
  return seen;
}

function attackCodeIn(graph: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of graph) {
    const path = relative(process.cwd(), file);
    if (/(^|\/)(bench|test)\//.test(path)) found.push(`${path} (a harness module)`);
    for (const marker of ATTACK_MARKERS) if (text.includes(marker)) found.push(`${path} holds ${marker}`);
  }
  return found;
}

const paths = (graph: Map<string, string>) => [...graph.keys()].map((f) => relative(process.cwd(), f));

describe("swarmd start's module graph", () => {
  it('reaches the daemon, and no attack module, in the TypeScript sources', () => {
    const graph = moduleGraph('src/cli.ts');
    // Through the CLI's lazy command parts: the walk covers what `swarmd start` runs.
    expect(paths(graph)).toEqual(
      expect.arrayContaining([
        'src/cli/start-command.ts',
        'src/node/daemon.ts',
        'src/node/site-work.ts',
        'src/models/train-worker.ts', // the training thread's entry
      ]),
    );
    expect(attackCodeIn(graph)).toEqual([]);

    const attacker = moduleGraph('bench/demo-attack/site.ts');
    expect(paths(attacker)).toEqual(
      expect.arrayContaining([
        'bench/attacks.ts',
        'bench/demo-attack/attacking-work.ts',
        'src/node/daemon.ts',
      ]),
    );
    expect(attackCodeIn(attacker).length).toBeGreaterThan(0);
  });

  it('reaches the daemon, and no attack module, in the build (dist/src/cli.js)', () => {
    if (!existsSync('dist/src/cli.js')) throw new Error('dist/ is missing: run `npm run build` first');
    const graph = moduleGraph('dist/src/cli.js');
    expect(paths(graph)).toEqual(
      expect.arrayContaining(['dist/src/node/daemon.js', 'dist/src/models/train-worker.js']),
    );
    expect(attackCodeIn(graph)).toEqual([]);
    const attacker = moduleGraph('dist/bench/demo-attack/site.js');
    expect(paths(attacker)).toEqual(expect.arrayContaining(['dist/bench/attacks.js']));
    expect(attackCodeIn(attacker).length).toBeGreaterThan(0);
  });

  it('swarmd demo has no attack flag: the attack demo is the harness entry npm run demo:attack', async () => {
    if (!existsSync('dist/src/cli.js')) throw new Error('dist/ is missing: run `npm run build` first');
    const r = await swarmdAsync(['demo', '--attack', 'nan'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown option '--attack'/);
    expect(r.stdout).not.toMatch(/started site/);
  });
});
