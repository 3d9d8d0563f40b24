import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/index.js';
import { loadSiteConfig, loadSwarmConfig } from '../../src/node/index.js';
import { applyDamage, damage } from '../helpers/damage.js';

// Property tests of the config loaders (YAML → zod): any file either loads or is refused with an
// InputError (never another error); a valid config written out loads back to the same values.
let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swarmd-config-prop-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function write(text: string | Uint8Array): Promise<string> {
  const path = join(dir, `c${n++}.yaml`);
  await writeFile(path, text);
  return path;
}

async function loadsOrRefuses(load: (path: string) => Promise<unknown>, text: string | Uint8Array) {
  const path = await write(text);
  await load(path).catch((err: unknown) => expect(err).toBeInstanceOf(InputError));
}

const name = fc.stringMatching(/^[\w.-]{1,12}$/);
const relPath = fc.stringMatching(/^[a-z][a-z0-9_/-]{0,15}$/);
const siteConfig = fc.record({
  site: name,
  dataDir: relPath,
  keyFile: relPath,
  swarmConfig: relPath,
  keepCheckpoints: fc.integer({ min: 1, max: 1000 }),
  data: fc.record({ path: relPath, label: name, id: name, ignore: fc.array(name, { maxLength: 3 }) }),
  http: fc.record({ host: fc.constant('127.0.0.1'), port: fc.integer({ min: 0, max: 65535 }) }),
  training: fc.record({
    epochsPerRound: fc.integer({ min: 1, max: 50 }),
    batchSize: fc.integer({ min: 1, max: 512 }),
    learningRate: fc.double({ min: 1e-6, max: 0.5, noNaN: true }),
  }),
  log: fc.record({ level: fc.constantFrom('debug', 'info', 'warn', 'error'), pretty: fc.boolean() }),
});
const peerId = fc.stringMatching(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/);
const swarmConfig = fc
  .record({
    swarmId: name,
    pskFile: relPath,
    members: fc
      .uniqueArray(fc.record({ name, peerId }), { minLength: 1, maxLength: 5, selector: (m) => m.peerId })
      // Member names are unique too (status shows members by name): a one-digit suffix keeps them apart.
      .map((ms) => ms.map((m, i) => ({ ...m, name: `${m.name}${i}` }))),
    rounds: fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: null }),
    roundDeadlineMs: fc.integer({ min: 1, max: 1e9 }),
    commitTimeoutMs: fc.integer({ min: 1, max: 1e9 }),
    model: fc.record({
      arch: fc.constantFrom('proteomics', 'mlp'),
      // Distinct as a reader sees them: not two spellings of one name ('a'/'a ', '1'/'1.0').
      classNames: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), {
        minLength: 2,
        maxLength: 5,
        selector: (s) => (s.trim() === '' || Number.isNaN(Number(s)) ? s.trim() : String(Number(s))),
      }),
      seed: fc.nat(),
    }),
  })
  .chain((c) => fc.integer({ min: 1, max: c.members.length }).map((minPeers) => ({ ...c, minPeers })));

describe('config loading (property)', () => {
  it('loads a valid site config back to the values written, paths resolved against its folder', async () => {
    await fc.assert(
      fc.asyncProperty(siteConfig, async (c) => {
        const path = await write(stringify(c));
        const got = await loadSiteConfig(path);
        expect(got.site).toBe(c.site);
        expect(got.dataDir).toBe(resolve(dir, c.dataDir));
        expect(got.data.path).toBe(resolve(dir, c.data.path));
        expect({ ...got.training, valFraction: undefined, seed: undefined }).toEqual({
          ...c.training,
          valFraction: undefined,
          seed: undefined,
        });
        expect([got.keepCheckpoints, got.http.port, got.log]).toEqual([
          c.keepCheckpoints,
          c.http.port,
          c.log,
        ]);
      }),
      { numRuns: 100 },
    );
  });

  it('loads a valid swarm config back to the values written', async () => {
    await fc.assert(
      fc.asyncProperty(swarmConfig, async (c) => {
        const got = await loadSwarmConfig(await write(stringify(c)));
        expect(got.members).toEqual(c.members);
        expect([got.swarmId, got.minPeers, got.rounds, got.model.classNames]).toEqual([
          c.swarmId,
          c.minPeers,
          c.rounds,
          c.model.classNames,
        ]);
        expect(got.pskFile).toBe(resolve(dir, c.pskFile));
      }),
      { numRuns: 100 },
    );
  });

  it('refuses arbitrary YAML values, damaged valid configs and arbitrary bytes with an InputError', async () => {
    const anything = fc.anything({ withNullPrototype: false }).map((v) => stringify(v) ?? '');
    const mutatedSite = siteConfig.chain((c) =>
      fc
        .record({ key: fc.constantFrom(...Object.keys(c)), value: fc.anything() })
        .map(({ key, value }) => stringify({ ...c, [key]: value })),
    );
    const damagedSwarm = fc
      .tuple(
        swarmConfig.map((c) => new TextEncoder().encode(stringify(c))),
        damage,
      )
      .map(applyDamage);
    const text = fc.oneof(anything, mutatedSite, fc.string({ unit: 'binary', maxLength: 200 }), damagedSwarm);
    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        await loadsOrRefuses(loadSiteConfig, t);
        await loadsOrRefuses(loadSwarmConfig, t);
      }),
      { numRuns: 300 },
    );
  });
});
