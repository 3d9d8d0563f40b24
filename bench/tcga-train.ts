// Trains swarmd's default model on the bundled TCGA-11 data on one backend and prints the held-out accuracy
// and the training speed, for comparing backends on the same data, split, key and seeds (scripts/gpu-check.sh).
//   node dist/bench/tcga-train.js --backend webgpu --epochs 10 [--batch 32]
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { modelKeyFromBytes } from '../src/inr/index.js';
import {
  trainerFor,
  accuracy,
  argmaxRows,
  buildModel,
  loadCsv,
  parseBackendPreference,
  parseModelConfig,
  prepareData,
  selectBackend,
} from '../src/models/index.js';

const DATA = fileURLToPath(new URL('../../data/tcga11_metagsca_all.csv.gz', import.meta.url));

export async function tcgaTrain(backend: string, epochs: number, batchSize: number): Promise<string> {
  const info = await selectBackend(parseBackendPreference(backend));
  const ds = await loadCsv(DATA, {
    label: 'label',
    id: 'sample_id',
    ignore: ['sample_type'],
    keep: ['patient'],
  });
  const data = prepareData(ds, { testFraction: 0.2, valFraction: 0.15, seed: 42, groupColumn: 'patient' });
  const config = parseModelConfig({ inputDim: ds.cols, numClasses: ds.classNames.length });
  const key = modelKeyFromBytes(createHash('sha256').update('swarmd tcga bench key').digest());
  const trainer = trainerFor(buildModel(config, { kind: 'key', key }), config);
  const t0 = performance.now();
  const fit = await trainer.fit(data.train, data.val, {
    epochs,
    batchSize,
    learningRate: 1e-3,
    seed: 42,
    patience: null,
  });
  const seconds = (performance.now() - t0) / 1000;
  const probs = await trainer.predict(data.test.x, data.test.rows);
  const acc = accuracy(data.test.y, argmaxRows(probs, config.numClasses));
  trainer.dispose();
  const last = fit.history[fit.history.length - 1];
  return (
    `tcga ${info.name} (${info.device}): ${epochs} epochs, batch ${batchSize}, ${seconds.toFixed(1)} s ` +
    `(${((data.train.rows * epochs) / seconds).toFixed(0)} samples/s incl. validation), ` +
    `val accuracy ${((last.valScore ?? 0) * 100).toFixed(1)}%, held-out test accuracy ${(acc * 100).toFixed(1)}% ` +
    `(${data.test.rows} rows)`
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { backend: { type: 'string' }, epochs: { type: 'string' }, batch: { type: 'string' } },
  });
  console.log(
    await tcgaTrain(values.backend ?? 'auto', Number(values.epochs ?? 10), Number(values.batch ?? 32)),
  );
  process.exit(0); // Dawn's device keeps the event loop alive
}
