import { Worker } from 'node:worker_threads';
import { SwarmdError, errorLine } from '../core/index.js';
import type { EpochInfo } from './trainer.js';
import { errorFromWire, type Reply, type Request, type Results } from './worker-protocol.js';

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  onEpoch?: (info: EpochInfo) => void;
}

// From dist/ the worker script sits beside this file; from the TypeScript sources (tests) use the build's.
const DEFAULT_WORKER_URL = import.meta.url.endsWith('.ts')
  ? new URL('../../dist/src/models/train-worker.js', import.meta.url)
  : new URL('./train-worker.js', import.meta.url);

/**
 * Requests to the training thread and their answers, matched by call id. A thread that dies fails every
 * call in flight and every later one with the reason; close() terminates it, waiting at most `closeTimeoutMs`.
 */
export class WorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | null = null;
  private readonly exited: Promise<void>;

  constructor(workerUrl: URL = DEFAULT_WORKER_URL) {
    this.worker = new Worker(workerUrl);
    this.worker.on('message', (r: Reply) => this.receive(r));
    this.worker.on('error', (err) => {
      this.fail(
        new SwarmdError(
          'TRAIN_WORKER_FAILED',
          `the training thread failed (${errorLine(err)}); if it ran out of memory, lower training.batchSize ` +
            `or train on a machine with more memory`,
          { cause: err },
        ),
      );
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.fail(new SwarmdError('TRAIN_WORKER_EXITED', `the training thread stopped (exit code ${code})`));
        resolve();
      });
    });
  }

  call<K extends Request['op']>(
    request: Extract<Request, { op: K }>,
    transfer: ArrayBuffer[] = [],
    onEpoch?: (info: EpochInfo) => void,
  ): Promise<Results[K]> {
    if (this.failure) return Promise.reject(this.failure);
    const callId = this.nextId++;
    return new Promise<Results[K]>((resolve, reject) => {
      this.pending.set(callId, { resolve: resolve as (v: unknown) => void, reject, onEpoch });
      this.worker.postMessage({ ...request, callId }, transfer);
    });
  }

  /** Stops the thread now (a fit in progress ends mid-batch); calls in flight fail with TRAIN_ABORTED. */
  async close(closeTimeoutMs = 5000): Promise<void> {
    this.fail(new SwarmdError('TRAIN_ABORTED', 'training stopped: the training thread was closed'));
    void this.worker.terminate();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, closeTimeoutMs)));
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    this.worker.unref(); // a thread stuck past the timeout must not hold the process open
  }

  private receive(r: Reply): void {
    const p = this.pending.get(r.callId);
    if (!p) return;
    if (r.type === 'epoch') return p.onEpoch?.(r.info);
    this.pending.delete(r.callId);
    if (r.type === 'result') p.resolve(r.value);
    else p.reject(errorFromWire(r.error));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
