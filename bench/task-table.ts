// The regression and embedding rows (issue 22): per seed, one split by group (a subject or patient on one
// side), swarmd centralised (train's path: early stopping, refit on every row), one site alone, a 3-site
// in-process swarm (the daemon's SiteWork, the protocol's sum / fedavg merges), and scikit-learn baselines
// on the same standardised rows; then the lock: the centralised model read with wrong keys and with the INR
// removed.
//   npm run table:tasks [-- --seeds 3 --rounds 20 --only flu,tcga]
import '../src/core/polyfill.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { NamedTensors } from '../src/core/index.js';
import { modelKeyFromBytes } from '../src/inr/index.js';
import {
  computeFeatureStats,
  createTask,
  createTrainer,
  evaluate,
  fitOnEveryRow,
  loadCsv,
  parseModelConfig,
  partitionSites,
  selectBackend,
  splitSubset,
  standardizerFromStats,
  statsFromTensors,
  stratifiedSplit,
  taskRows,
  type Dataset,
  type InrMode,
  type LabeledData,
  type ModelConfig,
  type TaskScores,
} from '../src/models/index.js';
import { SiteWork, siteName } from '../src/node/index.js';
import { mergeByMethod, type CommitRecord } from '../src/swarm/index.js';
import { BASELINE_PYTHON } from './baselines/python.js';
import { repoRoot } from './baselines/data.js';
import { benchKey } from './baselines/swarmd.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '20' },
    only: { type: 'string', default: 'flu,tcga' },
  },
});

interface TaskSet {
  name: string;
  file: string;
  keep: string[];
  ignore: string[];
  group: string;
  model: (ds: Dataset, seed: number) => ModelConfig;
}

const SETS: TaskSet[] = [
  {
    name: 'flu',
    file: 'qusage_flu_response.csv.gz',
    keep: ['subject', 'condition'],
    ignore: [],
    group: 'subject',
    model: (ds, seed) => {
      const targets = ds.featureNames.filter((n) => n.startsWith('t_'));
      return parseModelConfig({
        ...{ arch: 'linear', task: 'regression', targets, numClasses: targets.length, seed },
        ...{ inputDim: ds.cols - targets.length, control: { column: 'condition', value: '0' } },
      });
    },
  },
  {
    name: 'tcga',
    file: 'tcga11_metagsca_all.csv.gz',
    keep: ['patient'],
    ignore: ['sample_type'],
    group: 'patient',
    model: (ds, seed) =>
      parseModelConfig({
        ...{ arch: 'linear', task: 'embedding', embeddingDim: 16, numClasses: ds.classNames.length, seed },
        inputDim: ds.cols,
      }),
  },
];

const TRAIN = { epochs: 200, batchSize: 32, learningRate: 1e-3, patience: 20 };
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');

await selectBackend('auto');
const started = performance.now();
for (const set of SETS.filter((s) => args.only!.split(',').includes(s.name))) {
  const ds = await loadCsv(join(repoRoot(), 'data', set.file), { keep: set.keep, ignore: set.ignore });
  const rows: Record<string, TaskScores[]> = {};
  const add = (name: string, s: TaskScores) => (rows[name] ??= []).push(s);
  for (let seed = 1; seed <= Number(args.seeds); seed++) {
    const r = await runSeed(set, ds, seed);
    for (const [name, s] of Object.entries(r)) add(name, s);
    console.error(
      `${set.name} seed ${seed}: ${Object.entries(r)
        .map(([n, s]) => `${n} ${fmt(s.values[s.headline])}`)
        .join(', ')}`,
    );
  }
  console.log(`\n### ${set.name} (${ds.rows} × ${ds.cols} columns), mean ± sd over ${args.seeds} seeds\n`);
  const names = Object.keys(Object.values(rows)[0][0].values);
  console.log(`| model | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---').join('|')}|`);
  for (const [model, scores] of Object.entries(rows))
    console.log(
      `| ${model} | ${names.map((n) => meanSd(scores.map((s) => s.values[n] ?? NaN))).join(' | ')} |`,
    );
}
console.error(`took ${((performance.now() - started) / 60_000).toFixed(1)} min`);

async function runSeed(set: TaskSet, ds: Dataset, seed: number): Promise<Record<string, TaskScores>> {
  const groups = ds.meta[set.group];
  const outer = stratifiedSplit(ds.labels, { testFraction: 0.2, seed, groups });
  const inner = splitSubset(ds, outer.train, 0.15, seed + 1, groups);
  const all = [...inner.train, ...inner.val];
  const s = standardizerFromStats(
    computeFeatureStats(ds.features, ds.rows, ds.cols, inner.train),
    ds.featureNames,
  );
  const config = set.model(ds, seed);
  const take = (r: number[]) => taskRows(config, ds, s, r);
  const [train, val, test] = [take(inner.train), take(inner.val), take(outer.test)];
  const key = benchKey(seed);
  const out: Record<string, TaskScores> = {};
  const central = await fitted(config, key, train, val);
  out['swarmd centralised'] = await evaluate(central, test);
  const weights = await central.getWeights();
  central.dispose();
  const parts = partitionSites(ds.labels, all, { sites: 3, seed: seed + 1, groups, mode: 'random' });
  const one = splitSubset(ds, parts[0], 0.15, seed, groups);
  const alone = await fitted(config, key, take(one.train), take(one.val));
  out['swarmd, one site of 3'] = await evaluate(alone, test);
  alone.dispose();
  out['swarm, 3 sites'] = await swarm(config, ds, parts, outer.test, seed, groups);
  Object.assign(out, await python(config, take(all), test, seed));
  for (const [name, inr] of lockModes(seed)) out[name] = await scoreWith(config, inr, weights, test);
  if (config.task !== 'regression') return out;
  const mean = meanPredictor(take(all), test, config);
  // MSE relative to predicting the training mean (the paper's Fig. 3b reference): 1 is no better than it
  for (const sc of [...Object.values(out), mean]) sc.values.mseVsMean = sc.values.mse / mean.values.mse;
  return { ...out, 'mean predictor': mean };
}

async function fitted(
  config: ModelConfig,
  key: ReturnType<typeof benchKey>,
  train: LabeledData,
  val: LabeledData,
) {
  const r = await fitOnEveryRow(
    () => createTrainer(config, { kind: 'key', key }),
    train,
    val,
    { ...TRAIN, seed: config.seed, refit: true },
    async () => null,
  );
  return r.trainer;
}

function lockModes(seed: number): [string, InrMode][] {
  const wrong = [1, 2, 3].map((k): [string, InrMode] => [
    `lock: wrong key ${k}`,
    { kind: 'key', key: modelKeyFromBytes(benchKey(seed * 100 + k).key) },
  ]);
  return [...wrong, ['lock: INR removed', { kind: 'removed' }]];
}

async function scoreWith(config: ModelConfig, inr: InrMode, weights: NamedTensors, test: LabeledData) {
  const t = createTrainer(config, inr);
  t.setWeights(weights);
  const s = await evaluate(t, test);
  t.dispose();
  return s;
}

/** The training targets' mean for every test row: what MSE relative to it compares against. */
function meanPredictor(all: LabeledData, test: LabeledData, config: ModelConfig) {
  const t = { task: createTask(config) };
  const m = all.targets!.length / all.rows;
  const mean = new Float64Array(m);
  for (let i = 0; i < all.targets!.length; i++) mean[i % m] += all.targets![i] / all.rows;
  const out = Float32Array.from({ length: test.rows * m }, (_, i) => mean[i % m]);
  return t.task.scores(out, test);
}

async function swarm(
  config: ModelConfig,
  ds: Dataset,
  parts: number[][],
  testRows: number[],
  seed: number,
  groups: string[],
) {
  const key = benchKey(seed);
  const works = parts.map((rows) => {
    const { train, val } = splitSubset(ds, rows, 0.15, seed, groups);
    return new SiteWork({
      data: { ds, train, val, suspectColumns: [] },
      ...{ model: config, key, backend: 'in-process', standardizer: null, transform: 'none' as const },
      training: { epochsPerRound: 2, batchSize: 32, learningRate: TRAIN.learningRate, seed },
    });
  });
  const record = (round: number): CommitRecord => ({
    round,
    hash: `r${round}`,
    prevHash: null,
    bytes: new Uint8Array(),
  });
  const merge = (m: 'sum' | 'fedavg', u: { tensors: NamedTensors; samples: number }[]) =>
    mergeByMethod(
      m,
      u.map((x, i) => ({ ...x, peerId: siteName(i) })),
    );
  const signal = new AbortController().signal;
  const stats = merge('sum', await Promise.all(works.map((w) => w.stats())));
  for (const w of works) await w.adopt(0, stats, record(0));
  // the swarm's test rows use its shared statistics, as its members' infer would
  const shared = standardizerFromStats(statsFromTensors(stats), ds.featureNames);
  const sharedTest = taskRows(config, ds, shared, testRows);
  let base: NamedTensors | null = null;
  for (let round = 1; round <= Number(args.rounds); round++) {
    const updates = [];
    for (const w of works) updates.push(await w.train(round, base, signal));
    base = merge('fedavg', updates);
    for (const w of works) await w.adopt(round, base, record(round));
  }
  for (const w of works) w.dispose();
  return scoreWith(config, { kind: 'key', key }, base!, sharedTest);
}

async function python(
  config: ModelConfig,
  all: LabeledData,
  test: LabeledData,
  seed: number,
): Promise<Record<string, TaskScores>> {
  const input =
    config.task === 'regression'
      ? {
          task: 'regression',
          seed,
          x_train: rows(all.x, all.cols),
          y_train: rows(all.targets!, config.numClasses),
          x_test: rows(test.x, test.cols),
          y_test: rows(test.targets!, config.numClasses),
        }
      : {
          task: 'embedding',
          seed,
          x_train: rows(all.x, all.cols),
          x_test: rows(test.x, test.cols),
          y_test: Array.from(test.y),
          dim: config.embeddingDim,
          k: config.numClasses,
        };
  const res = spawnSync(BASELINE_PYTHON, [join(repoRoot(), 'bench', 'baselines', 'tasks.py')], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (res.status !== 0) throw new Error(`tasks.py failed: ${res.stderr}`);
  const r = JSON.parse(res.stdout) as Record<string, { pred?: number[][]; ari?: number; nmi?: number }>;
  if (config.task !== 'regression')
    return {
      'PCA + k-means (sklearn)': {
        headline: 'ari',
        values: { ari: r.ari as unknown as number, nmi: r.nmi as unknown as number },
      },
    };
  const task = createTask(config);
  const score = (name: string) => task.scores(Float32Array.from(r[name].pred!.flat()), test);
  return { 'Ridge() (sklearn)': score('ridge'), 'MLPRegressor() (sklearn)': score('mlp') };
}

function rows(a: Float32Array, cols: number): number[][] {
  return Array.from({ length: a.length / cols }, (_, i) => Array.from(a.subarray(i * cols, (i + 1) * cols)));
}

function meanSd(v: number[]): string {
  const ok = v.filter(Number.isFinite);
  if (ok.length === 0) return '—';
  const m = ok.reduce((a, b) => a + b, 0) / ok.length;
  const sd = ok.length > 1 ? Math.sqrt(ok.reduce((a, x) => a + (x - m) ** 2, 0) / (ok.length - 1)) : 0;
  return `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
}
