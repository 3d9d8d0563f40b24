// The baseline table (issue 9): per bundled data set, held-out test accuracy (mean ± sd over seeds) of
// swarmd's centralised training (`swarmd train`'s path and defaults: the linear model, key on), re-implementations of
// scikit-learn's LogisticRegression and MLPClassifier defaults, and an in-process 3-site FedAvg swarm.
//   npm run table:baselines [-- --seeds 5 --swarm-seeds 5 --rounds 40 --only WDBC,Khan --no-mlp --no-refit]
// Choosing defaults: --tune scores on a validation split carved from each seed's non-test rows instead, and
// --batch-size/--lr/--epochs/--patience/--epochs-per-round/--model '{"arch":"proteomics"}' override the defaults
// (the learning rate follows the model's architecture unless --lr is given).
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { defaultLearningRate } from '../src/core/index.js';
import { selectBackend } from '../src/models/index.js';
import {
  BENCH_SETS,
  SWARMD_DEFAULTS,
  TABLE_HEAD,
  TEST_FRACTION,
  VAL_FRACTION,
  loadBenchSet,
  runCase,
  tableRow,
  withoutTestRows,
  type CaseResult,
  type SwarmdSettings,
} from './baselines/index.js';

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '5' },
    'swarm-seeds': { type: 'string' },
    rounds: { type: 'string', default: '40' },
    sites: { type: 'string', default: '3' },
    only: { type: 'string' },
    'no-mlp': { type: 'boolean', default: false },
    'no-refit': { type: 'boolean', default: false },
    tune: { type: 'boolean', default: false },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    patience: { type: 'string' },
    'epochs-per-round': { type: 'string' },
    model: { type: 'string', default: '{}' },
  },
});

const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
const model = { ...SWARMD_DEFAULTS.model, ...(JSON.parse(args.model!) as SwarmdSettings['model']) };
const settings: SwarmdSettings = {
  epochs: num(args.epochs, SWARMD_DEFAULTS.epochs),
  batchSize: num(args['batch-size'], SWARMD_DEFAULTS.batchSize),
  learningRate: num(args.lr, defaultLearningRate(model.arch ?? 'proteomics')),
  patience: num(args.patience, SWARMD_DEFAULTS.patience),
  epochsPerRound: num(args['epochs-per-round'], SWARMD_DEFAULTS.epochsPerRound),
  refit: !args['no-refit'],
  model,
};
const seeds = Array.from({ length: Number(args.seeds) }, (_, i) => i + 1);
const swarmSeeds = num(args['swarm-seeds'], seeds.length);
const rounds = Number(args.rounds);
const only = args.only?.split(',');
const sets = BENCH_SETS.filter((s) => !only || only.includes(s.name));

const backend = await selectBackend('auto');
const started = performance.now();
const rows: string[] = [];
for (const set of sets) {
  const full = await loadBenchSet(set);
  const results: CaseResult[] = [];
  for (const seed of seeds) {
    const ds = args.tune ? withoutTestRows(full, set, seed) : full;
    const r = await runCase(ds, set, {
      seed,
      settings,
      mlp: !args['no-mlp'],
      swarm: seed <= swarmSeeds ? { sites: Number(args.sites), rounds } : null,
    });
    results.push(r);
    console.error(describeCase(set.name, r));
  }
  rows.push(tableRow(set, full, results));
}

const minutes = ((performance.now() - started) / 60_000).toFixed(1);
console.log(
  `# swarmd vs baselines — ${args.tune ? 'VALIDATION split carved from the non-test rows (choosing defaults)' : 'held-out test split'}, accuracy % (mean ± sd over seeds ${seeds.join(', ')}; swarm: seeds 1–${Math.min(swarmSeeds, seeds.length)})`,
);
console.log(
  `split per seed: ${TEST_FRACTION * 100} % test (stratified, by patient for TCGA), swarmd early-stops on ${VAL_FRACTION * 100} % of the rest; ` +
    `LR and MLP are torch re-implementations of scikit-learn's defaults (no sklearn here) trained on all non-test rows; ` +
    `all standardised with swarmd's training-row statistics. swarmd: swarmd train's defaults ${JSON.stringify(settings)}; ` +
    `swarm: ${args.sites} sites (by patient for TCGA), FedAvg of ${settings.epochsPerRound} local epochs a round, in process; ` +
    `backend ${backend.name}; ${minutes} min`,
);
for (const line of [...TABLE_HEAD, ...rows]) console.log(line);

function describeCase(name: string, r: CaseResult): string {
  const pct = (v: number) => (v * 100).toFixed(1);
  const s = r.seconds;
  const swarm = r.swarm ? ` swarm ${r.swarm.accuracy.map(pct).join(' ')}` : '';
  return (
    `${name} seed ${r.seed}: swarmd ${pct(r.centralised.test)} (val ${pct(r.centralised.val)}, best epoch ${r.centralised.bestEpoch}/${r.centralised.epochs}) ` +
    `LR ${pct(r.python.lr.accuracy)} (${r.python.lr.iterations} it) MLP ${r.python.mlp ? `${pct(r.python.mlp.accuracy)} (${r.python.mlp.epochs} ep)` : '—'}` +
    `${swarm}; ${s.centralised.toFixed(0)} s + ${s.python.toFixed(0)} s + ${s.swarm.toFixed(0)} s`
  );
}
