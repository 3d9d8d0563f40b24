import { SwarmdError, type NamedTensors } from '../core/index.js';
import type { BackendInfo, BackendPreference } from './backend.js';
import type { InrMode } from './build.js';
import type { ModelConfig } from './config.js';
import { createTask } from './create-task.js';
import type { Task } from './task.js';
import type { LabeledData, Trainer, TrainOptions, TrainResult } from './trainer.js';
import { checkWeights, type WeightShape } from './weights.js';
import { WorkerClient } from './worker-client.js';
import { buffersOf, type WireInr } from './worker-protocol.js';

/** A tfjs backend running in a thread of its own, and the models trained there. */
export interface TrainingWorker {
  /** The backend the thread selected (and the WebGPU adapter's name, in `device`). */
  readonly backend: BackendInfo;
  /** A model of `config` in the thread: training there leaves this thread free (status, network). */
  createTrainer(config: ModelConfig, inr: InrMode | null): Promise<Trainer>;
  /** Terminates the thread, a fit in progress included; waits at most `closeTimeoutMs`. */
  close(): Promise<void>;
}

export interface TrainingWorkerOptions {
  /** The worker script (default: the build's train-worker.js). */
  workerUrl?: URL;
  /** How long close() waits for the thread to end after terminating it (default 5 s). */
  closeTimeoutMs?: number;
}

/**
 * Starts the training thread and selects `preference` there, as selectBackend does in this thread (same
 * order, same errors: a forced backend that cannot load rejects with its BackendError).
 */
export async function startTrainingWorker(
  preference: BackendPreference,
  o: TrainingWorkerOptions = {},
): Promise<TrainingWorker> {
  const client = new WorkerClient(o.workerUrl);
  const close = () => client.close(o.closeTimeoutMs);
  let backend: BackendInfo;
  try {
    backend = await client.call({ op: 'init', backend: preference });
  } catch (err) {
    await close();
    throw err;
  }
  let nextTrainer = 1;
  return {
    backend,
    async createTrainer(config, inr) {
      const trainerId = nextTrainer++;
      const wireInr: WireInr = inr?.kind === 'key' ? { kind: 'key', keyBytes: inr.key.key } : inr;
      const shapes = await client.call({ op: 'create', trainerId, config, inr: wireInr });
      return new WorkerTrainer(client, trainerId, createTask(config), shapes);
    },
    close,
  };
}

/** How often a fit in the thread looks at the caller's abort signal (it is read, not listened to). */
const ABORT_POLL_MS = 50;

/**
 * A Trainer whose model lives in the training thread. Data and weights cross as copies whose buffers are
 * transferred, not cloned again; setWeights is checked here against the model's weight shapes, so it can
 * stay synchronous and still fail where it is called.
 */
class WorkerTrainer implements Trainer {
  private deferred: Error | null = null;

  constructor(
    private readonly client: WorkerClient,
    private readonly trainerId: number,
    readonly task: Task,
    private readonly shapes: WeightShape[],
  ) {}

  async fit(train: LabeledData, val: LabeledData | null, opts: TrainOptions): Promise<TrainResult> {
    this.throwDeferred();
    const { onEpoch, signal, ...wireOpts } = opts;
    if (signal?.aborted) throw new SwarmdError('TRAIN_ABORTED', 'training was aborted');
    const abort = new SharedArrayBuffer(4);
    const flag = new Int32Array(abort);
    const watch = setInterval(() => signal?.aborted && Atomics.store(flag, 0, 1), ABORT_POLL_MS);
    const [t, v] = [copyData(train), val && copyData(val)];
    try {
      const request = {
        op: 'fit' as const,
        trainerId: this.trainerId,
        train: t,
        val: v,
        opts: wireOpts,
        abort,
      };
      return await this.client.call(request, buffersOf([t, v]), onEpoch);
    } finally {
      clearInterval(watch);
    }
  }

  async predict(x: Float32Array, rows: number): Promise<Float32Array> {
    this.throwDeferred();
    const copy = x.slice();
    return this.client.call({ op: 'predict', trainerId: this.trainerId, x: copy, rows }, [copy.buffer]);
  }

  async getWeights(): Promise<NamedTensors> {
    this.throwDeferred();
    return this.client.call({ op: 'getWeights', trainerId: this.trainerId });
  }

  setWeights(weights: NamedTensors): void {
    this.throwDeferred();
    checkWeights(this.shapes, weights);
    // Cloned, not transferred: the caller keeps its tensors (a merged model is also checkpointed).
    this.client.call({ op: 'setWeights', trainerId: this.trainerId, weights }).catch((err: Error) => {
      this.deferred ??= err;
    });
  }

  dispose(): void {
    this.client.call({ op: 'dispose', trainerId: this.trainerId }).catch(() => {
      // the thread is gone (closed or failed): nothing is left to dispose
    });
  }

  private throwDeferred(): void {
    if (this.deferred) throw this.deferred;
  }
}

function copyData(d: LabeledData): LabeledData {
  return { ...d, x: d.x.slice(), y: d.y.slice(), ...(d.targets ? { targets: d.targets.slice() } : {}) };
}
