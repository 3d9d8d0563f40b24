// Training throughput of swarmd's default proteomics model (INR in every linear layer) through the product's
// training path (a model in the training worker thread, as the daemon and `swarmd train` run it), the same
// loop in this thread and a bare tfjs-layers fit(), in each tfjs backend that loads here, side by side in one
// run with PyTorch on the identical architecture and batch sizes (bench/torch_train_speed.py; python3-torch).
//   node dist/bench/train-speed.js [--shape 3556x11,9101x15] [--batch 32,256] [--backends wasm,cpu]
//                                  [--torch cpu1,cpuN,cuda] [--samples 2048] [--repeats 3]
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { errorLine } from '../src/core/index.js';
import { modelKeyFromBytes } from '../src/inr/index.js';
import {
  BACKEND_ORDER,
  trainerFor,
  startTrainingWorker,
  buildModel,
  parseModelConfig,
  selectBackend,
  type BackendName,
} from '../src/models/index.js';

export interface SpeedOptions {
  shapes: { inputDim: number; numClasses: number }[];
  batchSizes: number[];
  backends: BackendName[];
  /** PyTorch engines: `cpu1` (1 thread), `cpuN` (all cores), `cuda`. */
  torch: string[];
  /** Samples per timed measurement (at least 8 batches). */
  samples: number;
  /** Timed measurements per cell; the fastest is reported (a shared machine's load only ever slows one). */
  repeats: number;
  python: string;
  /** Show a row for a backend that does not load (when asked for by name), rather than leave it out. */
  showUnavailable: boolean;
}

interface Row {
  engine: string;
  /** samples/s per batch size; null: not measured, with the reason in `error`. */
  speeds: (number | null)[];
  error?: string;
}

export const DEFAULT_SPEED: SpeedOptions = {
  shapes: [{ inputDim: 3556, numClasses: 11 }],
  batchSizes: [32, 256],
  backends: [...BACKEND_ORDER],
  torch: ['cpu1', 'cpuN'],
  samples: 2048,
  repeats: 3,
  python: '/usr/bin/python3',
  showUnavailable: false,
};

type TfjsPath = 'worker' | 'thread' | 'layers';

const PATH_LABEL: Record<TfjsPath, string> = {
  worker: 'swarmd training (worker thread, as the daemon)',
  thread: 'swarmd training loop in this thread',
  layers: 'bare tfjs-layers fit()',
};

/**
 * samples/s after a warm-up epoch (kernels compiled, Adam's slots made): through the product's training path
 * (a model in the training worker thread, timed from this thread: data copies and messages included), the
 * same loop (TfjsTrainer) in this thread, or a bare tfjs-layers model.fit() of the same model.
 */
async function tfjsSpeed(
  path: TfjsPath,
  backend: BackendName,
  shape: { inputDim: number; numClasses: number },
  batch: number,
  { samples, repeats }: SpeedOptions,
): Promise<number> {
  const { inputDim, numClasses } = shape;
  const config = parseModelConfig({ inputDim, numClasses });
  const inr = { kind: 'key' as const, key: modelKeyFromBytes(new Uint8Array(32).fill(7)) };
  const rows = batch * 8;
  const x = Float32Array.from({ length: rows * inputDim }, (_, i) => Math.sin(i * 12.9898) * 2);
  const y = Int32Array.from({ length: rows }, (_, i) => i % numClasses);
  const epochs = Math.max(1, Math.round(samples / rows));
  const data = { x, rows, cols: inputDim, y };
  const opts = { batchSize: batch, learningRate: 1e-3, seed: 1, patience: null };
  let fit: (epochs: number) => Promise<unknown>;
  let dispose: () => Promise<void> | void;
  if (path === 'worker') {
    const worker = await startTrainingWorker(backend);
    const trainer = await worker.createTrainer(config, inr);
    fit = (n) => trainer.fit(data, null, { ...opts, epochs: n });
    dispose = () => worker.close();
  } else if (path === 'thread') {
    const trainer = trainerFor(buildModel(config, inr), config);
    fit = (n) => trainer.fit(data, null, { ...opts, epochs: n });
    dispose = () => trainer.dispose();
  } else {
    const model = buildModel(config, inr);
    model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
    const xs = tf.tensor2d(x, [rows, inputDim]);
    const ys = tf.oneHot(tf.tensor1d(y, 'int32'), numClasses).toFloat();
    fit = (n) => model.fit(xs, ys, { batchSize: batch, epochs: n, verbose: 0 });
    dispose = () => {
      model.dispose();
      tf.dispose([xs, ys]);
    };
  }
  try {
    await fit(1);
    let best = 0;
    for (let i = 0; i < repeats; i++) {
      const t0 = performance.now();
      await fit(epochs);
      best = Math.max(best, (rows * epochs) / ((performance.now() - t0) / 1000));
    }
    return best;
  } finally {
    await dispose();
  }
}

function torchRow(engine: string, o: SpeedOptions, inputDim: number, numClasses: number): Row {
  const threads = engine === 'cpu1' ? 1 : engine === 'cpuN' ? cpus().length : 0;
  const script = fileURLToPath(new URL('../../bench/torch_train_speed.py', import.meta.url));
  const input = {
    inputDim,
    numClasses,
    batchSizes: o.batchSizes,
    samples: o.samples * 2,
    repeats: o.repeats,
    threads,
    device: engine === 'cuda' ? 'cuda' : 'cpu',
    alpha: 0.5,
    levels: 8,
  };
  const res = spawnSync(o.python, [script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: 600_000,
  });
  const label =
    engine === 'cuda' ? 'pytorch cuda' : `pytorch cpu, ${threads} thread${threads > 1 ? 's' : ''}`;
  if (res.status !== 0) {
    const why = (res.stderr || String(res.error)).trim().split('\n').slice(-1)[0];
    return { engine: label, speeds: o.batchSizes.map(() => null), error: why };
  }
  const out = JSON.parse(res.stdout) as { device: string; results: { samplesPerSecond: number }[] };
  return {
    engine: engine === 'cuda' ? `${label} (${out.device})` : label,
    speeds: out.results.map((r) => r.samplesPerSecond),
  };
}

async function tfjsRows(backend: BackendName, o: SpeedOptions, d: number, k: number): Promise<Row[]> {
  let device: string;
  try {
    device = (await selectBackend(backend)).device;
  } catch (err) {
    return o.showUnavailable ? [{ engine: `tfjs ${backend}`, speeds: [], error: errorLine(err) }] : [];
  }
  const rows: Row[] = [];
  for (const path of ['worker', 'thread', 'layers'] as const) {
    const speeds: number[] = [];
    for (const b of o.batchSizes) {
      speeds.push(await tfjsSpeed(path, backend, { inputDim: d, numClasses: k }, b, o));
    }
    rows.push({ engine: `tfjs ${backend} (${device}), ${PATH_LABEL[path]}`, speeds });
  }
  return rows;
}

/** Prints one markdown table per shape: samples/s per engine and batch size, and each tfjs ÷ PyTorch. */
export async function runTrainSpeed(o: SpeedOptions = DEFAULT_SPEED): Promise<void> {
  for (const { inputDim, numClasses } of o.shapes) {
    console.log(
      `\n## Training speed (samples/s), default proteomics model ${inputDim}→64→2 residual blocks→32→${numClasses}, INR in every linear layer, Adam`,
    );
    const rows: Row[] = [];
    for (const b of o.backends) {
      rows.push(...(await tfjsRows(b, o, inputDim, numClasses)));
      tf.engine().reset();
    }
    const tfjsCount = rows.length;
    for (const t of o.torch) rows.push(torchRow(t, o, inputDim, numClasses));
    const head = o.batchSizes.map((b) => `batch ${b}`);
    console.log(`| engine | ${head.join(' | ')} |\n|---|${head.map(() => '---:').join('|')}|`);
    for (const r of rows) {
      const cells = r.error
        ? [`unavailable: ${r.error}`]
        : r.speeds.map((s) => (s === null ? '–' : s.toFixed(0)));
      console.log(`| ${r.engine} | ${cells.join(' | ')} |`);
    }
    const tfjs = rows.slice(0, tfjsCount).filter((r) => !r.error);
    const ratio = (a: Row, b: Row, digits: number) =>
      o.batchSizes.map((batch, j) => `${(a.speeds[j]! / b.speeds[j]!).toFixed(digits)} at batch ${batch}`);
    for (let i = 0; i + 2 < tfjs.length; i += 3) {
      const name = tfjs[i].engine.split(' (')[0];
      console.log(
        `  ${name}: bare fit() ÷ swarmd (worker thread) ${ratio(tfjs[i + 2], tfjs[i], 2).join(', ')}`,
      );
    }
    for (const t of rows.slice(tfjsCount).filter((r) => !r.error)) {
      for (let i = 0; i + 2 < tfjs.length; i += 3) {
        for (const r of [tfjs[i], tfjs[i + 2]]) {
          const what = r.engine.replace(/ \(.*\),/, ',');
          console.log(`  ${what} ÷ ${t.engine}: ${ratio(r, t, 3).join(', ')}`);
        }
      }
    }
  }
}

function parseCli(argv: string[]): SpeedOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      shape: { type: 'string' },
      batch: { type: 'string' },
      backends: { type: 'string' },
      torch: { type: 'string' },
      samples: { type: 'string' },
      repeats: { type: 'string' },
      python: { type: 'string' },
    },
  });
  const list = (s: string | undefined) => (s ? s.split(',').filter((v) => v) : undefined);
  return {
    shapes:
      list(values.shape)?.map((s) => {
        const [inputDim, numClasses] = s.split('x').map(Number);
        return { inputDim, numClasses };
      }) ?? DEFAULT_SPEED.shapes,
    batchSizes: list(values.batch)?.map(Number) ?? DEFAULT_SPEED.batchSizes,
    backends: (list(values.backends) as BackendName[] | undefined) ?? DEFAULT_SPEED.backends,
    torch: list(values.torch) ?? DEFAULT_SPEED.torch,
    samples: values.samples ? Number(values.samples) : DEFAULT_SPEED.samples,
    repeats: values.repeats ? Number(values.repeats) : DEFAULT_SPEED.repeats,
    python: values.python ?? DEFAULT_SPEED.python,
    showUnavailable: values.backends !== undefined,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runTrainSpeed(parseCli(process.argv.slice(2)));
  process.exit(0); // Dawn's device keeps the event loop alive
}
