// Training throughput of the proteomics model (TCGA shape: 3556 features, 11 classes, INR in the decoder)
// in each available tfjs backend, side by side with PyTorch CPU on the identical architecture and batch size.
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { generateModelKey } from '../src/inr/index.js';
import { createTrainer, parseModelConfig, selectBackend, type BackendName } from '../src/models/index.js';

const INPUT_DIM = 3556;
const CLASSES = 11;
const BATCH = 32;
const BATCHES = 60;

export interface SpeedResult {
  name: string;
  samplesPerSecond: number;
}

export async function tfjsSpeed(backend: BackendName): Promise<SpeedResult> {
  await selectBackend(backend);
  const config = parseModelConfig({ inputDim: INPUT_DIM, numClasses: CLASSES });
  const trainer = createTrainer(config, { kind: 'key', key: generateModelKey() });
  const rows = BATCH * 8;
  const x = Float32Array.from({ length: rows * INPUT_DIM }, (_, i) => Math.sin(i * 12.9898) * 2);
  const y = Int32Array.from({ length: rows }, (_, i) => i % CLASSES);
  const data = { x, rows, cols: INPUT_DIM, y };
  const opts = { batchSize: BATCH, learningRate: 1e-3, seed: 1, patience: null };
  await trainer.fit(data, null, { ...opts, epochs: 1 }); // warm-up: kernels compiled, optimizer slots made
  const epochs = BATCHES / 8;
  const t0 = performance.now();
  await trainer.fit(data, null, { ...opts, epochs });
  const seconds = (performance.now() - t0) / 1000;
  trainer.dispose();
  return { name: `tfjs ${backend}`, samplesPerSecond: (rows * epochs) / seconds };
}

export function torchSpeed(threads: number): SpeedResult | { name: string; error: string } {
  const script = fileURLToPath(new URL('../../bench/torch_train_speed.py', import.meta.url));
  const input = {
    inputDim: INPUT_DIM,
    numClasses: CLASSES,
    batchSize: BATCH,
    batches: BATCHES * 3,
    threads,
    alpha: 0.5,
    levels: 8,
  };
  const res = spawnSync('/usr/bin/python3', [script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: 300_000,
  });
  const name = `pytorch cpu, ${threads} thread${threads > 1 ? 's' : ''}`;
  if (res.status !== 0)
    return { name, error: (res.stderr || String(res.error)).split('\n').slice(-2).join(' ') };
  return {
    name,
    samplesPerSecond: (JSON.parse(res.stdout) as { samplesPerSecond: number }).samplesPerSecond,
  };
}

export async function runTrainSpeed(): Promise<void> {
  console.log(
    `\n## Training speed: proteomics model ${INPUT_DIM}→64→(2 residual blocks)→32→${CLASSES}, batch ${BATCH}`,
  );
  const results: SpeedResult[] = [];
  for (const b of ['wasm', 'cpu'] as const) results.push(await tfjsSpeed(b));
  tf.engine().reset();
  const torch = [torchSpeed(1), torchSpeed(2)];
  for (const r of [...results, ...torch]) {
    console.log(
      'samplesPerSecond' in r
        ? `  ${r.name.padEnd(24)} ${r.samplesPerSecond.toFixed(0).padStart(7)} samples/s`
        : `  ${r.name.padEnd(24)} unavailable: ${r.error}`,
    );
  }
  const [wasm, cpu] = results;
  console.log(`  ratio wasm / cpu (pure JS): ${(wasm.samplesPerSecond / cpu.samplesPerSecond).toFixed(2)}x`);
  for (const t of torch) {
    if (!('samplesPerSecond' in t)) continue;
    console.log(`  ratio tfjs wasm / ${t.name}: ${(wasm.samplesPerSecond / t.samplesPerSecond).toFixed(3)}`);
  }
}
