import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LabeledData } from '../../src/models/index.js';
import { repoRoot } from './data.js';

/** Debian's python3, where apt's python3-torch and python3-numpy live (not a pyenv shim). */
export const BASELINE_PYTHON = process.env.SWARMD_PYTHON ?? '/usr/bin/python3';

export interface PythonBaselineOptions {
  seed: number;
  numClasses: number;
  /** Also fit the MLPClassifier re-implementation (the slow one). */
  mlp: boolean;
  /** Return LR's coefficients ([outputs][features]) and intercept, for checking its optimum. */
  weights?: boolean;
  timeoutMs?: number;
}

export interface PythonBaselines {
  lr: { accuracy: number; iterations: number; coef?: number[][]; intercept?: number[] };
  mlp?: { accuracy: number; epochs: number };
}

/** Runs bench/baselines/baselines.py on standardised rows; throws with its stderr when it fails. */
export async function runPythonBaselines(
  train: LabeledData,
  test: LabeledData,
  o: PythonBaselineOptions,
): Promise<PythonBaselines> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-baselines-'));
  try {
    const meta = {
      rows: { train: train.rows, test: test.rows },
      cols: train.cols,
      classes: o.numClasses,
      seed: o.seed,
      lr: true,
      mlp: o.mlp,
      weights: o.weights === true,
    };
    await Promise.all([
      writeFile(join(dir, 'meta.json'), JSON.stringify(meta)),
      writeFile(join(dir, 'x_train.f32'), bytes(train.x)),
      writeFile(join(dir, 'y_train.i32'), bytes(train.y)),
      writeFile(join(dir, 'x_test.f32'), bytes(test.x)),
      writeFile(join(dir, 'y_test.i32'), bytes(test.y)),
    ]);
    const script = join(repoRoot(), 'bench', 'baselines', 'baselines.py');
    return JSON.parse(await runScript(script, dir, o.timeoutMs ?? 600_000)) as PythonBaselines;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Little-endian on every machine the project runs on (x86-64, arm64), as numpy's '<f4' / '<i4' read it. */
function bytes(a: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function runScript(script: string, dir: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(BASELINE_PYTHON, [script, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) =>
      reject(new Error(`cannot run ${BASELINE_PYTHON} (apt-get install python3-torch): ${e.message}`)),
    );
    child.on('close', (code, signal) => {
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${BASELINE_PYTHON} ${script} failed (${signal ?? `exit ${code}`}; apt-get install python3-torch python3-numpy): ${err.trim()}`,
          ),
        );
    });
  });
}
