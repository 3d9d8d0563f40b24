import { InputError, SwarmdError, type NamedTensors } from '../core/index.js';
import { BackendError, type BackendInfo, type BackendPreference } from './backend.js';
import type { ModelConfig } from './config.js';
import type { EpochInfo, LabeledData, TrainOptions, TrainResult } from './trainer.js';
import type { WeightShape } from './weights.js';
import { WebGpuError } from './webgpu.js';

/* The messages between a TrainingWorker (main thread) and its thread (train-worker.ts). */

/** The INR mode as it crosses threads: a ModelKey's bytes are not enumerable, so they travel explicitly. */
export type WireInr = { kind: 'key'; keyBytes: Uint8Array } | { kind: 'removed' } | null;

export type WireTrainOptions = Omit<TrainOptions, 'onEpoch' | 'signal'>;

export type Request =
  | { op: 'init'; backend: BackendPreference }
  | { op: 'create'; trainerId: number; config: ModelConfig; inr: WireInr }
  | {
      op: 'fit';
      trainerId: number;
      train: LabeledData;
      val: LabeledData | null;
      opts: WireTrainOptions;
      /** Int32Array[1] over shared memory: set to 1 to stop at the next batch. */
      abort: SharedArrayBuffer;
    }
  | { op: 'predict'; trainerId: number; x: Float32Array; rows: number }
  | { op: 'getWeights'; trainerId: number }
  | { op: 'setWeights'; trainerId: number; weights: NamedTensors }
  | { op: 'dispose'; trainerId: number };

/** What each request answers. */
export interface Results {
  init: BackendInfo;
  create: WeightShape[];
  fit: TrainResult;
  predict: Float32Array;
  getWeights: NamedTensors;
  setWeights: null;
  dispose: null;
}

export type Call = Request & { callId: number };

export type Reply =
  | { type: 'result'; callId: number; value: unknown }
  | { type: 'error'; callId: number; error: WireError }
  | { type: 'epoch'; callId: number; info: EpochInfo };

/** An error as it crosses threads: swarmd's typed errors keep their class, code and message. */
export type WireError =
  | { swarmd: true; name: string; code: string; message: string }
  | { swarmd: false; name: string; message: string; stack?: string };

export function errorToWire(err: unknown): WireError {
  if (err instanceof SwarmdError)
    return { swarmd: true, name: err.name, code: err.code, message: err.message };
  if (err instanceof Error) return { swarmd: false, name: err.name, message: err.message, stack: err.stack };
  return { swarmd: false, name: 'Error', message: String(err) };
}

const TYPED: Record<string, new (code: string, message: string) => SwarmdError> = {
  InputError,
  BackendError,
  WebGpuError,
};

/** The same class where the main thread knows it (others become a SwarmdError of that name and code). */
export function errorFromWire(w: WireError): Error {
  if (!w.swarmd) {
    const err = new Error(w.message);
    err.name = w.name;
    if (w.stack) err.stack = w.stack;
    return err;
  }
  const err = new (TYPED[w.name] ?? SwarmdError)(w.code, w.message);
  err.name = w.name;
  return err;
}

/** The transferable buffers of a value about to be posted (tensors' and data sets' Float32Arrays). */
export function buffersOf(values: (NamedTensors | LabeledData | Float32Array | null)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const v of values) {
    if (v === null) continue;
    if (v instanceof Float32Array) out.add(v.buffer as ArrayBuffer);
    else if (v instanceof Map) for (const t of v.values()) out.add(t.data.buffer as ArrayBuffer);
    else {
      out.add(v.x.buffer as ArrayBuffer);
      out.add(v.y.buffer as ArrayBuffer);
      if (v.targets) out.add(v.targets.buffer as ArrayBuffer);
    }
  }
  return [...out];
}
