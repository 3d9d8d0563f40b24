// Regenerates the model-lock table (issue 2): centralised plain model vs the INR model with the right key,
// a wrong key, and the INR removed (Δ = 0), on the held-out split of the bundled TCGA set.
//   npm run table:lock [-- --alpha 0.5 --inr-layers all|decoder_1,decoder_2 --init-gain 50 --epochs 60]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import type { NamedTensors } from '../src/core/index.js';
import { modelKeyFromBytes } from '../src/inr/index.js';
import {
  createTrainer,
  loadCsv,
  parseModelConfig,
  prepareData,
  score,
  selectBackend,
  type InrMode,
  type ModelConfig,
  type PreparedData,
  type Scores,
} from '../src/models/index.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'data/tcga11_metagsca_all.csv.gz' },
    alpha: { type: 'string', default: '0.5' },
    'inr-layers': { type: 'string', default: 'all' },
    'init-gain': { type: 'string', default: '50' },
    'delta-scale': { type: 'string', default: '1' },
    levels: { type: 'string', default: '8' },
    epochs: { type: 'string', default: '60' },
    seed: { type: 'string', default: '42' },
    backend: { type: 'string', default: 'auto' },
  },
});

interface Row {
  model: string;
  val: Scores;
  test: Scores;
}

async function main(): Promise<void> {
  const backend = await selectBackend(args.backend as 'auto');
  const seed = Number(args.seed);
  const ds = await loadCsv(args.data!, { ignore: ['sample_type'], keep: ['patient'] });
  const data = prepareData(ds, { testFraction: 0.2, valFraction: 0.15, seed, groupColumn: 'patient' });
  const base = { inputDim: ds.cols, numClasses: ds.classNames.length, seed };
  const inr = {
    layers: args['inr-layers'] === 'all' ? ('all' as const) : args['inr-layers']!.split(','),
    initGain: Number(args['init-gain']),
    alpha: Number(args.alpha),
    deltaScale: Number(args['delta-scale']),
    encodingLevels: Number(args.levels),
  };
  // Keys derived from the seed, so the table regenerates exactly.
  const keyFor = (tag: string) =>
    modelKeyFromBytes(createHash('sha256').update(`lock-table ${tag} ${seed}`).digest());
  const key = keyFor('right');
  const wrong = keyFor('wrong');
  const rows: Row[] = [];

  const plain = parseModelConfig({ ...base, inr: null });
  rows.push({ model: 'plain (no INR)', ...(await trainAndScore(plain, null, data, seed)).scores });
  const locked = parseModelConfig({ ...base, inr });
  const trained = await trainAndScore(locked, { kind: 'key', key }, data, seed);
  rows.push({ model: 'INR, right key', ...trained.scores });
  rows.push({
    model: 'INR, wrong key',
    ...(await rescore(locked, { kind: 'key', key: wrong }, trained.weights, data)),
  });
  rows.push({
    model: 'INR removed (Δ = 0)',
    ...(await rescore(locked, { kind: 'removed' }, trained.weights, data)),
  });

  console.log(`data ${args.data}: ${ds.rows} samples × ${ds.cols} features, ${ds.classNames.length} classes`);
  console.log(
    `split by patient, seed ${seed}: train ${data.train.rows} / val ${data.val.rows} / test ${data.test.rows}; ` +
      `backend ${backend.name}; INR layers ${inr.layers === 'all' ? 'all linear' : inr.layers.join('+')}, Φ init gain ${inr.initGain}, α ${inr.alpha}, L ${inr.encodingLevels}, ` +
      `Δ scale ${inr.deltaScale}; chance = ${(100 / ds.classNames.length).toFixed(1)}%`,
  );
  console.log('| model | val acc | test acc | test macro-F1 | test macro-AUROC |');
  console.log('|---|---|---|---|---|');
  const pct = (v: number) => (v * 100).toFixed(1);
  for (const r of rows) {
    console.log(
      `| ${r.model} | ${pct(r.val.accuracy)} | ${pct(r.test.accuracy)} | ${pct(r.test.macroF1)} | ${r.test.macroAuroc.toFixed(3)} |`,
    );
  }
}

async function trainAndScore(config: ModelConfig, inr: InrMode | null, data: PreparedData, seed: number) {
  const trainer = createTrainer(config, inr);
  await trainer.fit(data.train, data.val, {
    epochs: Number(args.epochs),
    batchSize: 32,
    learningRate: 1e-3,
    seed,
    patience: 10,
  });
  const result = {
    scores: { val: await score(trainer, data.val), test: await score(trainer, data.test) },
    weights: await trainer.getWeights(),
  };
  trainer.dispose();
  return result;
}

async function rescore(config: ModelConfig, inr: InrMode, weights: NamedTensors, data: PreparedData) {
  const trainer = createTrainer(config, inr);
  trainer.setWeights(weights);
  const s = { val: await score(trainer, data.val), test: await score(trainer, data.test) };
  trainer.dispose();
  return s;
}

await main();
