import { parentPort } from 'node:worker_threads';
import { SwarmdError } from '../core/index.js';
import { modelKeyFromBytes } from '../inr/index.js';
import { selectBackend } from './backend.js';
import { buildModel, trainerFor } from './build.js';
import { TfjsTrainer } from './trainer.js';
import { weightShapes } from './weights.js';
import { buffersOf, errorToWire, type Call, type Reply, type Request } from './worker-protocol.js';

/*
 * The training thread of a TrainingWorker: selects its own tfjs backend, holds the models, and answers one
 * request at a time in arrival order (a fit runs to its end before the next request starts; an abort
 * arrives through shared memory, not as a message, so it reaches a fit in progress).
 */

const port = parentPort;
if (!port) throw new SwarmdError('TRAIN_WORKER', 'train-worker.js runs as a worker thread only');

const trainers = new Map<number, TfjsTrainer>();
let queue: Promise<void> = Promise.resolve();

port.on('message', (call: Call) => {
  queue = queue.then(() => answer(call));
});

async function answer(call: Call): Promise<void> {
  const post = (reply: Reply, transfer: ArrayBuffer[] = []) => port!.postMessage(reply, transfer);
  try {
    const value = await handle(call, (info) => post({ type: 'epoch', callId: call.callId, info }));
    const transfer = value instanceof Float32Array || value instanceof Map ? buffersOf([value]) : [];
    post({ type: 'result', callId: call.callId, value }, transfer);
  } catch (err) {
    post({ type: 'error', callId: call.callId, error: errorToWire(err) });
  }
}

async function handle(r: Request, onEpoch: Parameters<TfjsTrainer['fit']>[2]['onEpoch']): Promise<unknown> {
  switch (r.op) {
    case 'init':
      return selectBackend(r.backend);
    case 'create': {
      const inr =
        r.inr?.kind === 'key' ? { kind: 'key' as const, key: modelKeyFromBytes(r.inr.keyBytes) } : r.inr;
      const model = buildModel(r.config, inr);
      // The config's L2 penalty too: a trainer built here must train as createTrainer's does.
      trainers.set(r.trainerId, trainerFor(model, r.config));
      return weightShapes(model);
    }
    case 'fit': {
      const flag = new Int32Array(r.abort);
      const signal = {
        get aborted() {
          return Atomics.load(flag, 0) === 1;
        },
      };
      return trainer(r.trainerId).fit(r.train, r.val, { ...r.opts, signal, onEpoch });
    }
    case 'predict':
      // A copy with a buffer of its own: what a backend returns may be a view that must not be transferred.
      return (await trainer(r.trainerId).predict(r.x, r.rows)).slice();
    case 'getWeights':
      return trainer(r.trainerId).getWeights();
    case 'setWeights':
      trainer(r.trainerId).setWeights(r.weights);
      return null;
    case 'dispose':
      trainers.get(r.trainerId)?.dispose();
      trainers.delete(r.trainerId);
      return null;
  }
}

function trainer(id: number): TfjsTrainer {
  const t = trainers.get(id);
  if (!t) throw new SwarmdError('TRAIN_WORKER', `no model ${id} in the training worker (disposed?)`);
  return t;
}
