import type { NamedTensors } from '../../src/core/index.js';
import {
  createTrainer,
  labeledRows,
  partitionSites,
  score,
  splitSubset,
  standardizerFromStats,
  statsFromTensors,
  type Dataset,
  type LabeledData,
} from '../../src/models/index.js';
import { SiteWork, siteName } from '../../src/node/index.js';
import { mergeByMethod, type CommitRecord, type Contribution } from '../../src/swarm/index.js';
import { VAL_FRACTION, type BenchSet } from './data.js';
import { benchKey, benchModel, type SwarmdSettings } from './swarmd.js';

export interface SwarmRun {
  /** Held-out test accuracy of the merged model after each model round (index 0 = round 1). */
  accuracy: number[];
  siteRows: number[];
}

/**
 * A swarm of `sites` sites in one process, without the network: each site is the daemon's own SiteWork
 * (local split, shared statistics, local epochs from the last merged model), round 0 merges the feature
 * statistics with `sum` and every later round the models with `fedavg`, both through the protocol's
 * mergeByMethod, as the aggregator does. The training rows are dealt to sites by group where the set has one
 * (a patient on one site), as the demo does.
 */
export async function runSwarm(
  ds: Dataset,
  set: BenchSet,
  o: { trainRows: number[]; test: number[]; sites: number; rounds: number; seed: number },
  s: SwarmdSettings,
): Promise<SwarmRun> {
  const groups = set.group ? ds.meta[set.group] : undefined;
  const parts = partitionSites(ds.labels, o.trainRows, {
    sites: o.sites,
    seed: o.seed + 1,
    groups,
    mode: 'random',
  });
  const model = benchModel(ds, o.seed, s);
  const key = benchKey(o.seed);
  const training = { epochsPerRound: s.epochsPerRound, batchSize: s.batchSize, learningRate: s.learningRate };
  const works = parts.map((rows) => {
    const { train, val } = splitSubset(ds, rows, VAL_FRACTION, o.seed, groups);
    return new SiteWork({
      data: { ds, train, val, suspectColumns: [] },
      model,
      key,
      training: { ...training, seed: o.seed },
      backend: 'in-process',
      standardizer: null,
      transform: set.transform,
    });
  });
  const evaluator = createTrainer(model, { kind: 'key', key });
  const signal = new AbortController().signal;
  try {
    const stats = merge('sum', await Promise.all(works.map((w) => w.stats())));
    for (const w of works) await w.adopt(0, stats, record(0));
    const standardizer = standardizerFromStats(statsFromTensors(stats), ds.featureNames, set.transform);
    const test = labeledRows(ds, standardizer, o.test);
    const accuracy: number[] = [];
    let base: NamedTensors | null = null;
    for (let round = 1; round <= o.rounds; round++) {
      const updates = [];
      // One site after another: the machine's cores are shared, and training order cannot change a merge.
      for (const w of works) updates.push(await w.train(round, base, signal));
      base = merge('fedavg', updates);
      for (const w of works) await w.adopt(round, base, record(round));
      accuracy.push(await testAccuracy(evaluator, base, test));
    }
    return { accuracy, siteRows: parts.map((p) => p.length) };
  } finally {
    evaluator.dispose();
    for (const w of works) w.dispose();
  }
}

function merge(
  method: 'sum' | 'fedavg',
  updates: { tensors: NamedTensors; samples: number }[],
): NamedTensors {
  const contributions: Contribution[] = updates.map((u, i) => ({ ...u, peerId: siteName(i) }));
  return mergeByMethod(method, contributions);
}

/** SiteWork.adopt takes the logged commit; in process there is no log, only the round. */
function record(round: number): CommitRecord {
  return { round, hash: `in-process-${round}`, prevHash: null, bytes: new Uint8Array() };
}

async function testAccuracy(
  trainer: ReturnType<typeof createTrainer>,
  weights: NamedTensors,
  test: LabeledData,
): Promise<number> {
  trainer.setWeights(weights);
  return (await score(trainer, test)).accuracy;
}
