// Checkpoints at rest, on the TCGA model (3556 features, 11 classes, INR in the decoder, the manifest with
// its real standardisation): the size a seal adds, seal/open time beside the plain encode/decode it wraps,
// and the data directory after 30 rounds with keepCheckpoints 5 beside keeping every checkpoint.
//   npm run build && node dist/bench/checkpoint-bench.js
import '../src/core/polyfill.js';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeTensors, encodeTensors, hashTensors } from '../src/core/index.js';
import { generateModelKey, type ModelKey } from '../src/inr/index.js';
import {
  trainerFor,
  buildModel,
  loadCsv,
  parseModelConfig,
  prepareData,
  selectBackend,
  standardizerToJSON,
} from '../src/models/index.js';
import {
  directoryBytes,
  exportCheckpointFile,
  makeCheckpoint,
  openStore,
  readCheckpointFile,
  type Checkpoint,
} from '../src/storage/index.js';

const REPEATS = 15;

async function tcgaCheckpoint(key: ModelKey): Promise<Checkpoint> {
  const ds = await loadCsv('data/tcga11_metagsca_all.csv.gz', { ignore: ['sample_type'], keep: ['patient'] });
  const data = prepareData(ds, { testFraction: 0.2, valFraction: 0.15, seed: 42, groupColumn: 'patient' });
  const config = parseModelConfig({ inputDim: ds.cols, numClasses: ds.classNames.length, seed: 42 });
  const trainer = trainerFor(buildModel(config, { kind: 'key', key }), config);
  const tensors = await trainer.getWeights();
  trainer.dispose();
  return makeCheckpoint(tensors, {
    id: 'round-000001',
    round: 1,
    modelConfig: config,
    keyFingerprint: key.fingerprint,
    preprocessing: standardizerToJSON(data.standardizer),
    classNames: ds.classNames,
    metrics: { mergedValAccuracy: 0.9 },
  });
}

async function medianMs(f: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)];
}

async function retentionBytes(dir: string, cp: Checkpoint, key: ModelKey, keep?: number) {
  const store = await openStore(dir, { key, keepCheckpoints: keep });
  const t0 = performance.now();
  for (let r = 1; r <= 30; r++) {
    const id = `round-${String(r).padStart(6, '0')}`;
    const log = { round: r, hash: `h${r}`, bytes: Uint8Array.of(r) };
    await store.putCheckpoint({ manifest: { ...cp.manifest, id, round: r }, tensors: cp.tensors }, log);
  }
  const msPerRound = (performance.now() - t0) / 30;
  await store.close();
  return { bytes: await directoryBytes(dir), msPerRound };
}

export async function runCheckpointBench(): Promise<void> {
  await selectBackend('auto');
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-ckpt-bench-'));
  try {
    const key = generateModelKey();
    const cp = await tcgaCheckpoint(key);
    const manifestBytes = Buffer.byteLength(JSON.stringify(cp.manifest));
    const tensorBytes = encodeTensors(cp.tensors).length;
    const plainFileBytes = 6 + 4 + manifestBytes + tensorBytes; // "SWCK1\n" | u32 | manifest | tensors
    const file = join(dir, 'x.swck');
    await exportCheckpointFile(cp, file, key);
    const sealedFileBytes = (await stat(file)).size;
    const plainMs = await medianMs(() => {
      const t = decodeTensors(encodeTensors(cp.tensors));
      return hashTensors(t);
    });
    const writeMs = await medianMs(() => exportCheckpointFile(cp, file, key));
    const readMs = await medianMs(() => readCheckpointFile(file, key));
    const bytes = await readFile(file);
    const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
    console.log(`TCGA checkpoint: manifest ${kib(manifestBytes)}, tensors ${kib(tensorBytes)}`);
    console.log(
      `  .swck plain (v1) ${plainFileBytes} B, sealed (v2) ${sealedFileBytes} B: +${sealedFileBytes - plainFileBytes} B (${((100 * (sealedFileBytes - plainFileBytes)) / plainFileBytes).toFixed(4)} %)`,
    );
    console.log(
      `  median of ${REPEATS}: plain encode+decode+hash ${plainMs.toFixed(1)} ms; export sealed (encode+seal+write) ${writeMs.toFixed(1)} ms; read sealed (read+open+decode+hash) ${readMs.toFixed(1)} ms (${bytes.length} B)`,
    );
    const all = await retentionBytes(join(dir, 'all'), cp, key);
    const kept = await retentionBytes(join(dir, 'keep5'), cp, key, 5);
    console.log(
      `  data dir after 30 rounds: keep all ${kib(all.bytes)} (${all.msPerRound.toFixed(0)} ms a put), ` +
        `keepCheckpoints 5 ${kib(kept.bytes)} (${kept.msPerRound.toFixed(0)} ms a put, with compaction)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runCheckpointBench();
