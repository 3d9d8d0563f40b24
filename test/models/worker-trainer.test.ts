import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwarmdError } from '../../src/core/index.js';
import { modelKeyFromBytes } from '../../src/inr/index.js';
import {
  BackendError,
  trainerFor,
  buildModel,
  createTrainer,
  parseModelConfig,
  selectBackend,
  startTrainingWorker,
  type LabeledData,
  type Trainer,
  type TrainingWorker,
} from '../../src/models/index.js';
import { InputError } from '../../src/core/index.js';

// The training thread runs the build (dist/src/models/train-worker.js; npm test builds first), in a real
// worker thread of this test process. Its results are compared with the same training in this thread.

const key = modelKeyFromBytes(createHash('sha256').update('worker trainer test key').digest());
const config = parseModelConfig({ inputDim: 24, numClasses: 3, embedDim: 16, decoderHidden: 8 });

function data(rows: number, seed: number): LabeledData {
  const cols = 24;
  const x = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin((i + seed) * 12.9898) * 2);
  const y = Int32Array.from({ length: rows }, (_, i) => (i + seed) % 3);
  for (let i = 0; i < rows; i++) x[i * cols + y[i]] += 3; // learnable
  return { x, rows, cols, y };
}

describe('training in a worker thread', () => {
  let worker: TrainingWorker;
  beforeAll(async () => {
    worker = await startTrainingWorker('wasm');
    await selectBackend('wasm');
  });
  afterAll(() => worker.close());

  it('reports the backend it selected, and trains to bit-identical weights as this thread', async () => {
    expect(worker.backend.name).toBe('wasm');
    expect(worker.backend.device).toMatch(/wasm/);
    const train = data(150, 1);
    const val = data(45, 2);
    const opts = { epochs: 5, batchSize: 32, learningRate: 1e-2, seed: 3, patience: 2 };
    const epochs: number[] = [];
    const remote = await worker.createTrainer(config, { kind: 'key', key });
    const r = await remote.fit(train, val, { ...opts, onEpoch: (e) => epochs.push(e.epoch) });
    const local = trainerFor(buildModel(config, { kind: 'key', key }), config);
    const l = await local.fit(train, val, opts);
    expect(r).toEqual(l);
    expect(epochs).toEqual(r.history.map((h) => h.epoch));
    const [rw, lw] = [await remote.getWeights(), await local.getWeights()];
    expect([...rw.keys()]).toEqual([...lw.keys()]);
    for (const [name, t] of lw)
      expect(Buffer.from(rw.get(name)!.data.buffer)).toEqual(Buffer.from(t.data.buffer));
    expect(await remote.predict(val.x, val.rows)).toEqual(await local.predict(val.x, val.rows));
    expect(train.x.length).toBe(150 * 24); // the caller's data was copied, not moved away
    // weights set here are the ones the thread predicts with
    remote.setWeights(lw);
    expect(await remote.predict(val.x, val.rows)).toEqual(await local.predict(val.x, val.rows));
    remote.dispose();
    local.dispose();
  });

  it("trains with the config's L2 penalty, as createTrainer does in this thread", async () => {
    const linear = parseModelConfig({ arch: 'linear', inputDim: 24, numClasses: 3, l2: 0.5 });
    const opts = { epochs: 3, batchSize: 32, learningRate: 1e-2, seed: 3, patience: null };
    const remote = await worker.createTrainer(linear, { kind: 'key', key });
    const local = createTrainer(linear, { kind: 'key', key });
    const unpenalised = createTrainer({ ...linear, l2: 0 }, { kind: 'key', key });
    for (const t of [remote, local, unpenalised]) await t.fit(data(150, 1), null, opts);
    const kernel = async (t: Trainer) => (await t.getWeights()).get('output/kernel')!.data;
    expect(await kernel(remote)).toEqual(await kernel(local));
    expect(await kernel(remote)).not.toEqual(await kernel(unpenalised));
    for (const t of [remote, local, unpenalised]) t.dispose();
  });

  it("brings the thread's typed errors back with their class, code and message", async () => {
    const noKey = worker.createTrainer(config, null);
    await expect(noKey).rejects.toBeInstanceOf(InputError);
    await expect(noKey).rejects.toMatchObject({
      code: 'MODEL_NEEDS_KEY',
      message: /a model key is required/,
    });
    const t = await worker.createTrainer(config, { kind: 'key', key });
    const partial = new Map([...(await t.getWeights())].slice(1));
    expect(() => t.setWeights(partial)).toThrow(/lacks 1 weight\(s\) of this model/);
    t.dispose();
    await expect(t.getWeights()).rejects.toMatchObject({ code: 'TRAIN_WORKER', message: /no model \d+/ });
  });

  it('a forced webgpu without an adapter fails as in this thread (BackendError, what to do)', async (ctx) => {
    const inThread = await selectBackend('webgpu').then(
      () => null,
      (err: unknown) => err,
    );
    await selectBackend('wasm');
    if (inThread === null) return ctx.skip('this machine has a WebGPU adapter');
    const res = await startTrainingWorker('webgpu').then(
      async (w) => (await w.close(), null),
      (err: unknown) => err,
    );
    expect(res).toBeInstanceOf(BackendError);
    expect(res).toMatchObject({ code: 'BACKEND_UNAVAILABLE', message: (inThread as Error).message });
    expect((res as Error).message).toContain('no WebGPU adapter: is a Vulkan driver installed? see README');
  });

  it('stops a fit at the next batch on abort, and close() ends a fit in progress', async () => {
    const t = await worker.createTrainer(config, { kind: 'key', key });
    const train = data(240, 4);
    const long = { epochs: 10_000, batchSize: 8, learningRate: 1e-3, seed: 1, patience: null };
    const controller = new AbortController();
    const aborted = t.fit(train, null, {
      ...long,
      signal: controller.signal,
      onEpoch: () => controller.abort(),
    });
    await expect(aborted).rejects.toMatchObject({ code: 'TRAIN_ABORTED' });
    // the thread is free again: a short fit answers
    await t.fit(train, null, { ...long, epochs: 1 });

    const own = await startTrainingWorker('wasm', { closeTimeoutMs: 5000 });
    const t2 = await own.createTrainer(config, { kind: 'key', key });
    let epochs = 0;
    const outcome = t2.fit(train, null, { ...long, onEpoch: () => epochs++ }).catch((err: unknown) => err);
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => epochs > 0 && (clearInterval(poll), resolve()), 20);
    });
    await own.close();
    // The 10,000-epoch fit did not run to its end: close() failed it, it did not wait for it.
    expect(epochs).toBeLessThan(long.epochs);
    expect(await outcome).toBeInstanceOf(SwarmdError);
    expect(await outcome).toMatchObject({ code: 'TRAIN_ABORTED', message: /training thread was closed/ });
    await expect(t2.getWeights()).rejects.toMatchObject({ code: 'TRAIN_ABORTED' });
  });
});
