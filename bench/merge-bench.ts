// Merge throughput per rule (FedAvg, coordinate median, trimmed mean, clipped FedAvg) and of update
// validation, at 5 and 10 contributors of the same model, measured side by side in one process.
import { pathToFileURL } from 'node:url';
import type { NamedTensors } from '../src/core/index.js';
import {
  mergeByMethod,
  shapesOf,
  validateRound,
  type Contribution,
  type MergeMethod,
} from '../src/swarm/index.js';

export interface MergeBenchOptions {
  /** Floats per update (default 1,000,000: 4 MB). */
  floats?: number;
  contributors?: number[];
  /** Timed runs per cell, after one warm-up; the median is reported. */
  runs?: number;
}

interface Rule {
  label: string;
  run: (cs: Contribution[], reference: NamedTensors) => unknown;
}

const merge =
  (method: MergeMethod, options: { trim?: number; clipNorm?: number } = {}) =>
  (cs: Contribution[], reference: NamedTensors) =>
    mergeByMethod(method, cs, { ...options, reference });

const RULES: Rule[] = [
  { label: 'fedavg', run: merge('fedavg') },
  { label: 'median', run: merge('median') },
  { label: 'trimmed-mean (trim 1)', run: merge('trimmed-mean', { trim: 1 }) },
  { label: 'trimmed-mean (trim 0.2)', run: merge('trimmed-mean', { trim: 0.2 }) },
  // Deltas have norm ≈ 0.29 · √floats · scale; clipNorm 1 clips every one of them.
  { label: 'clipped-fedavg', run: merge('clipped-fedavg', { clipNorm: 1 }) },
  {
    label: 'validateRound (norm ×3, cap)',
    run: (cs, reference) =>
      validateRound(cs, {
        reference,
        expectedShapes: shapesOf(reference),
        normMultiple: 3,
        maxSampleWeight: 0.5,
      }),
  },
];

/** A model split like a small MLP (kernels and biases), `floats` values in all; seeded, no Math.random. */
function makeModel(floats: number, seed: number, scale: number): NamedTensors {
  const sizes = [Math.floor(floats * 0.6), Math.floor(floats * 0.3)];
  sizes.push(floats - sizes[0] - sizes[1]);
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296 - 0.5) * scale;
  return new Map(
    sizes.map((n, i) => [`layer_${i}/kernel`, { shape: [n], data: Float32Array.from({ length: n }, next) }]),
  );
}

function site(reference: NamedTensors, k: number): Contribution {
  const delta = makeModel(
    [...reference.values()].reduce((a, t) => a + t.data.length, 0),
    1000 + k,
    1e-3,
  );
  const tensors: NamedTensors = new Map();
  for (const [name, t] of reference) {
    const d = delta.get(name)!.data;
    tensors.set(name, { shape: t.shape, data: t.data.map((v, j) => v + d[j]) });
  }
  return { peerId: `peer-${String(k).padStart(2, '0')}`, samples: 100 + 37 * k, tensors };
}

interface Timing {
  wallMs: number;
  /** Process CPU time (user + system): on a shared, busy machine it moves far less than wall time. */
  cpuMs: number;
}

/** Times every task once per pass, interleaved, so a busy machine slows each alike; medians per task. */
function interleavedTimings(tasks: (() => unknown)[], runs: number): Timing[] {
  for (const task of tasks) task(); // warm-up: JIT
  const wall = tasks.map((): number[] => []);
  const cpu = tasks.map((): number[] => []);
  for (let r = 0; r < runs; r++) {
    for (const [i, task] of tasks.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      task();
      wall[i].push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      cpu[i].push((c.user + c.system) / 1000);
    }
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  return tasks.map((_, i) => ({ wallMs: median(wall[i]), cpuMs: median(cpu[i]) }));
}

export async function runMergeBench(options: MergeBenchOptions = {}): Promise<void> {
  const floats = options.floats ?? 1_000_000;
  const counts = options.contributors ?? [5, 10];
  const runs = options.runs ?? 7;
  const reference = makeModel(floats, 1, 0.2);
  const sites = Array.from({ length: Math.max(...counts) }, (_, k) => site(reference, k));
  const tasks = RULES.flatMap((rule) => counts.map((n) => () => rule.run(sites.slice(0, n), reference)));
  const timings = interleavedTimings(tasks, runs);
  const cell = (i: number, j: number) => timings[i * counts.length + j];
  console.log(
    `\nMerge throughput: ${floats.toLocaleString('en')} float32 per update (${(floats * 4) / 1e6} MB), median of ${runs} interleaved runs, one thread`,
  );
  const head = counts.map((n) => `${n} contributors`.padEnd(35)).join(' | ');
  console.log(`  ${'rule'.padEnd(30)} | ${head}`);
  const cols = 'wall ms   CPU ms  GB/s(CPU)  ×fedavg';
  console.log(`  ${''.padEnd(30)} | ${counts.map(() => cols).join(' | ')}`);
  for (const [i, rule] of RULES.entries()) {
    const row = counts.map((n, j) => {
      const { wallMs, cpuMs } = cell(i, j);
      const gbps = (n * floats * 4) / (cpuMs / 1000) / 1e9;
      const ratio = cpuMs / cell(0, j).cpuMs;
      return `${wallMs.toFixed(0).padStart(7)}  ${cpuMs.toFixed(0).padStart(7)}  ${gbps.toFixed(2).padStart(9)}  ${ratio.toFixed(1).padStart(6)}×`;
    });
    console.log(`  ${rule.label.padEnd(30)} | ${row.join(' | ')}`);
  }
  console.log(
    '  GB/s = contributors × update bytes ÷ CPU time; ×fedavg = CPU time ÷ fedavg CPU time at the same count.',
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runMergeBench();
