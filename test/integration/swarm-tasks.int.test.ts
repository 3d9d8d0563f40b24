import { readFile, rm, writeFile } from 'node:fs/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fetchStatus, inferOffline, launchSite, type LaunchedSite } from '../../src/node/index.js';
import { openCheckpoint } from '../../src/storage/index.js';
import { loadKeyFile } from '../../src/inr/index.js';
import { waitFor } from '../helpers/wait.js';
import { createSwarmSetup, explainFailure, type SwarmSetup } from './swarm-setup.js';

// Three real `swarmd start` processes per task on 127.0.0.1, from configs written by `swarmd init`
// (writeSwarmDir → initSite), on the bundled TCGA set split by patient; `infer` on the exported checkpoint.
const ROUNDS = 3;
const TCGA = join(process.cwd(), 'data', 'tcga11_metagsca_all.csv.gz');
const CSV = { ignore: ['sample_type', 'patient'] };

describe('swarms of other tasks', () => {
  const sites = new Map<string, LaunchedSite>();
  let setup: SwarmSetup | null = null;

  afterEach(async () => {
    await Promise.all([...sites.values()].map((s) => s.stop(5000)));
    sites.clear();
    if (setup) await rm(setup.dir, { recursive: true, force: true });
  });

  const status = (name: string) => fetchStatus(sites.get(name)!.statusUrl, { timeoutMs: 5000 });

  async function startSwarm(swarm: Record<string, unknown>, n = 3, edit?: (s: SwarmSetup) => Promise<void>) {
    setup = await createSwarmSetup({
      sites: n,
      swarm: { minPeers: n, rounds: ROUNDS, roundDeadlineMs: 90_000, commitTimeoutMs: 5_000, ...swarm },
      training: { epochsPerRound: 2 },
    });
    await edit?.(setup);
    const { names, configs } = setup;
    for (const [i, name] of names.entries()) {
      const first = sites.get(names[0]);
      sites.set(name, await launchSite(configs[i], { bootstrap: first ? first.addrs.slice(0, 1) : [] }));
    }
    return setup;
  }

  /** Starts every site, waits for round ROUNDS everywhere, returns the final statuses. */
  async function runSwarm(swarm: Record<string, unknown>) {
    const { names } = await startSwarm(swarm);
    await explainFailure(
      sites,
      waitFor(
        async () =>
          (await Promise.all(names.map(status))).every((s) => (s.lastCommit?.round ?? -1) >= ROUNDS),
        {
          timeoutMs: 300_000,
          intervalMs: 500,
          what: `round ${ROUNDS} committed everywhere`,
        },
      ),
    );
    const finals = await Promise.all(names.map(status));
    expect(new Set(finals.map((s) => s.lastCommit!.hash)).size).toBe(1);
    return finals;
  }

  // A loaded machine takes minutes for three daemons' rounds: the waits inside are bounded on their own.
  const TEST_MS = 420_000;

  const BACKBONE = [
    { dense: 32, name: 'hidden' },
    { layerNorm: true },
    { activation: 'relu' },
    { residual: [{ dense: 32 }, { activation: 'tanh' }, { dense: 32 }] },
    { dropout: 0.1 },
  ];

  it(
    "trains a site's own declared backbone, locked in the layers inr.layers names",
    async () => {
      const finals = await runSwarm({
        model: { arch: 'layers', layers: BACKBONE, inr: { layers: ['hidden', 'output'] }, seed: 42 },
      });
      expect(finals[0].history.at(-1)!.mergedAccuracy).toBeGreaterThan(0.5);
      const key = await loadKeyFile(join(setup!.dir, 'site.key'));
      const cp = await openCheckpoint(exported(), key);
      expect([...cp.tensors.keys()].some((n) => n.startsWith('hidden/inr_'))).toBe(true);
      expect([...cp.tensors.keys()].some((n) => n.startsWith('dense_2/inr_'))).toBe(false);
    },
    TEST_MS,
  );

  it(
    'refuses a site whose swarm config declares another backbone, naming the model section',
    async () => {
      const { names } = await startSwarm(
        { model: { arch: 'layers', layers: BACKBONE, seed: 42 } },
        2,
        async (s) => {
          // site-b holds a swarm config whose backbone uses another activation
          const other = parseYaml(await readFile(join(s.dir, 'swarm.yaml'), 'utf8')) as {
            model: { layers: unknown[] };
          };
          other.model.layers[2] = { activation: 'elu' };
          await writeFile(join(s.dir, 'swarm-b.yaml'), stringifyYaml(other));
          const site = parseYaml(await readFile(s.configs[1], 'utf8')) as Record<string, unknown>;
          await writeFile(s.configs[1], stringifyYaml({ ...site, swarmConfig: 'swarm-b.yaml' }));
        },
      );
      // The chain's genesis binds the swarm config's model section: the round-0 commit is rejected, named.
      const said = () =>
        names.filter((n) =>
          /genesis-mismatch.*another swarm config: model differs/.test(sites.get(n)!.output()),
        );
      await explainFailure(
        sites,
        waitFor(async () => said().length > 0, {
          timeoutMs: 180_000,
          intervalMs: 500,
          what: 'a site rejects the chain naming the model section',
        }),
      );
      const finals = await Promise.all(names.map(status));
      for (const st of finals) expect(st.lastCommit?.round ?? -1).toBeLessThan(1); // nobody trained a model round
    },
    TEST_MS,
  );

  const exported = () => join(setup!.dir, 'db', `${setup!.names[0]}.latest.swck`);
  /** Offline inference with site 0's exported model on the TCGA rows. */
  const inferExported = (o: { outputPath?: string; embed?: boolean } = {}) =>
    inferOffline({
      checkpointPath: exported(),
      keyPath: join(setup!.dir, 'site.key'),
      inputPath: TCGA,
      csv: CSV,
      ...o,
    });

  it(
    'trains a regression task (two genes from the others) and infer writes them in their units',
    async () => {
      const finals = await runSwarm({
        task: { kind: 'regression', targets: ['ESR1', 'GATA3'] },
        model: { arch: 'linear', seed: 42 },
      });
      for (const s of finals) {
        expect(s.task).toEqual({ kind: 'regression', score: 'r2' });
        expect(s.history.at(-1)!.mergedAccuracy).toBeGreaterThan(0.3); // merged model's R² on own validation rows
      }
      const key = await loadKeyFile(join(setup!.dir, 'site.key'));
      const cp = await openCheckpoint(exported(), key);
      expect(cp.manifest.modelConfig).toMatchObject({ task: 'regression', targets: ['ESR1', 'GATA3'] });
      const out = join(setup!.dir, 'pred.csv');
      const res = await inferExported({ outputPath: out });
      expect(res.task).toBe('regression');
      // R² on the held-out rows, from the written CSV and the raw data (so the predictions are in log2 units)
      const { ds, test } = setup!;
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe('sample_id,predicted_ESR1,predicted_GATA3');
      const pred = new Map(lines.slice(1).map((l) => [l.split(',')[0], l.split(',').slice(1).map(Number)]));
      for (const [j, gene] of ['ESR1', 'GATA3'].entries()) {
        const col = ds.featureNames.indexOf(gene);
        const truth = test.map((r) => ds.features[r * ds.cols + col]).filter((v) => !Number.isNaN(v));
        const rows = test.filter((r) => !Number.isNaN(ds.features[r * ds.cols + col]));
        const p = rows.map((r) => pred.get(ds.ids[r])![j]);
        const mean = truth.reduce((a, b) => a + b, 0) / truth.length;
        const res2 = truth.reduce((a, t, i) => a + (t - p[i]) ** 2, 0);
        const tot = truth.reduce((a, t) => a + (t - mean) ** 2, 0);
        expect(1 - res2 / tot, gene).toBeGreaterThan(0.5);
      }
    },
    TEST_MS,
  );

  it(
    'trains an embedding task (an autoencoder) and infer --embed writes embeddings that cluster by cohort',
    async () => {
      const finals = await runSwarm({
        task: { kind: 'embedding', dim: 8 },
        model: { arch: 'linear', seed: 42 },
      });
      for (const s of finals) expect(s.task).toEqual({ kind: 'embedding', score: 'ari' });
      const out = join(setup!.dir, 'embed.csv');
      const res = await inferExported({ outputPath: out, embed: true });
      expect(res.task).toBe('embedding');
      const lines = (await readFile(out, 'utf8')).trim().split('\n');
      expect(lines[0]).toBe(
        ['sample_id', ...Array.from({ length: 8 }, (_, j) => `embedding_${j + 1}`)].join(','),
      );
      expect(lines).toHaveLength(1 + setup!.ds.rows);
      expect(
        lines.slice(1).every((l) =>
          l
            .split(',')
            .slice(1)
            .every((v) => Number.isFinite(Number(v))),
        ),
      ).toBe(true);
      // k-means (k = 11 cohorts) on the embeddings of every row against the cohort labels
      expect(res.scores!.headline).toBe('ari');
      expect(res.scores!.values.ari).toBeGreaterThan(0.3);
      await expect(inferExported({ embed: false })).resolves.toMatchObject({ task: 'embedding' });
    },
    TEST_MS,
  );
});
