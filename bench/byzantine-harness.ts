// The robustness table's harness (issue 11): one cell is a swarm of `sites` sites on the bundled TCGA set,
// split by patient, where the first f sites attack, run for a few rounds in this process with the functions
// the daemon uses — SiteWork's training (same trainer, seeds, batch, learning rate), validateRound and
// mergeByMethod from src/swarm/protocol — without the network (gossip, commits and transfer do not change
// what is merged). Honest training is cached by (base model hash, site), so cells that share a trajectory
// (every cell's round 1; attacks that validation removes entirely) train once.
import { fileURLToPath } from 'node:url';
import { hashTensors, type NamedTensors } from '../src/core/index.js';
import { modelKeyFromBytes } from '../src/inr/index.js';
import {
  computeFeatureStats,
  createRng,
  createTrainer,
  labeledRows,
  parseModelConfig,
  score,
  splitSubset,
  standardizerFromStats,
  type LabeledData,
  type Trainer,
} from '../src/models/index.js';
import { loadTcga, planSites, siteName } from '../src/node/index.js';
import { ATTACK_PARAMS, attackUpdate, flipLabel, type AttackName } from './attacks.js';
import {
  deltaNorm,
  mergeByMethod,
  shapesOf,
  validateRound,
  type Contribution,
  type MergeMethod,
} from '../src/swarm/protocol/index.js';
import { createHash } from 'node:crypto';

/** A table row: a merge rule, with or without the per-update validation in front of it. */
export interface MergeRow {
  label: string;
  method: Exclude<MergeMethod, 'sum'>;
  validate: boolean;
  /** Merges instead of mergeByMethod (the secure table: the secure-aggregation arithmetic). */
  merge?: (contributions: Contribution[]) => NamedTensors;
}

export const MERGE_ROWS: MergeRow[] = [
  { label: 'fedavg, no validation', method: 'fedavg', validate: false },
  { label: 'fedavg + validation', method: 'fedavg', validate: true },
  { label: 'median + validation', method: 'median', validate: true },
  { label: 'trimmed-mean + validation', method: 'trimmed-mean', validate: true },
  { label: 'clipped-fedavg + validation', method: 'clipped-fedavg', validate: true },
];

/** The attacks of the table, in its order. */
export const TABLE_ATTACKS: AttackName[] = [
  'inflate',
  'signflip',
  'alie',
  'ipm',
  'gaussian',
  'nan',
  'labelflip',
];

/** The swarm settings of every validated row (what a swarm config would say). */
export interface DefenceSettings {
  normMultiple: number;
  maxSampleWeight: number;
  trim: number;
  clipNorm: number;
}

/** The table's settings: clipNorm near the honest sites' round-1 update norms (5.5–10 at learning rate 0.01). */
export const TABLE_DEFENCE: DefenceSettings = {
  normMultiple: 3,
  maxSampleWeight: 0.2,
  trim: 0.3,
  clipNorm: 6,
};

export interface HarnessOptions {
  sites: number;
  seed: number;
  rounds: number;
  epochsPerRound: number;
  /** The site config's training.learningRate (default 1e-3). */
  learningRate: number;
  defence: DefenceSettings;
  /** Largest number of cached site updates (≈ 1 MB each; default 1500). */
  cacheEntries?: number;
}

interface Site {
  name: string;
  seed: number;
  train: LabeledData;
  flipped: LabeledData;
}

export interface CellResult {
  accuracy: number;
  /** Updates left out by validation, summed over rounds (attackers' and honest sites'). */
  excludedAttackers: number;
  excludedHonest: number;
  /** The round after which the merged model held a non-finite value (training from it stays non-finite). */
  diedAfterRound: number | null;
}

export interface Harness {
  options: HarnessOptions;
  testRows: number;
  siteRows: number[];
  runCell(row: MergeRow, attack: AttackName | null, f: number): Promise<CellResult>;
  /** ‖update − base‖ of each honest site in round 1 (for choosing clipNorm). */
  firstRoundNorms(): Promise<number[]>;
  dispose(): void;
}

// From dist/bench (the table) or from the TypeScript source (the test under vitest).
const DATA_DIR = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../data' : '../../data', import.meta.url),
);
const TRAINING = { batchSize: 32, valFraction: 0.15 }; // the site config defaults

export async function createHarness(o: HarnessOptions): Promise<Harness> {
  const ds = await loadTcga(DATA_DIR);
  const plan = planSites(ds, { sites: o.sites, seed: o.seed, mode: 'random' });
  const groups = ds.meta.patient;
  const splits = plan.sites.map((rows, i) => splitSubset(ds, rows, TRAINING.valFraction, o.seed + i, groups));
  // Round 0 merges every site's statistics by sum: the same as the statistics of all training rows.
  const trainRows = splits.flatMap((s) => s.train);
  const standardizer = standardizerFromStats(
    computeFeatureStats(ds.features, ds.rows, ds.cols, trainRows),
    ds.featureNames,
  );
  const classes = ds.classNames.length;
  const sites: Site[] = splits.map((s, i) => {
    const train = labeledRows(ds, standardizer, s.train);
    const flipped = { ...train, y: train.y.map((y) => flipLabel(y, classes)) };
    return { name: siteName(i), seed: o.seed + i, train, flipped };
  });
  const test = labeledRows(ds, standardizer, plan.test);
  const config = parseModelConfig({ seed: o.seed, inputDim: ds.cols, numClasses: classes });
  const key = modelKeyFromBytes(createHash('sha256').update(`swarmd demo right key ${o.seed}`).digest());
  const trainer = createTrainer(config, { kind: 'key', key });
  const initial = await trainer.getWeights();
  const cache = new TrainCache(trainer, o, o.cacheEntries ?? 1500);

  async function runCell(row: MergeRow, attack: AttackName | null, f: number): Promise<CellResult> {
    const result: CellResult = { accuracy: 0, excludedAttackers: 0, excludedHonest: 0, diedAfterRound: null };
    const random = createRng(o.seed * 7919 + f);
    const attackers = new Set(sites.slice(0, attack === null ? 0 : f).map((s) => s.name));
    let base = initial;
    for (let round = 1; round <= o.rounds; round++) {
      const baseHash = hashTensors(base);
      const honest: Contribution[] = [];
      for (const s of sites.filter((x) => !attackers.has(x.name))) {
        honest.push({ peerId: s.name, ...(await cache.train(s, base, baseHash, round, false)) });
      }
      const bad: Contribution[] = [];
      for (const s of sites.filter((x) => attackers.has(x.name))) {
        const needsOwn = attack === 'labelflip' || attack === 'inflate' || attack === 'scale';
        const own = needsOwn
          ? await cache.train(s, base, baseHash, round, attack === 'labelflip')
          : { tensors: base, samples: s.train.rows };
        const sent = attackUpdate(attack!, {
          reference: base,
          honest: honest.map((h) => h.tensors),
          own,
          random,
        });
        bad.push({ peerId: s.name, ...sent });
      }
      const merged = mergeRound(row, [...honest, ...bad], base, attackers, o.defence, sites, result);
      base = merged;
      if (!allFinite(merged)) {
        result.diedAfterRound = round;
        break;
      }
    }
    trainer.setWeights(base);
    result.accuracy = (await score(trainer, test)).accuracy;
    return result;
  }

  async function firstRoundNorms(): Promise<number[]> {
    const hash = hashTensors(initial);
    const norms: number[] = [];
    for (const s of sites) {
      const u = await cache.train(s, initial, hash, 1, false);
      norms.push(deltaNorm(u.tensors, initial));
    }
    return norms;
  }

  return {
    options: o,
    testRows: plan.test.length,
    siteRows: sites.map((s) => s.train.rows),
    runCell,
    firstRoundNorms,
    dispose: () => trainer.dispose(),
  };
}

/** Validation (the daemon's validateRound) then the row's merge (mergeByMethod), as every peer does it. */
function mergeRound(
  row: MergeRow,
  contributions: Contribution[],
  base: NamedTensors,
  attackers: ReadonlySet<string>,
  d: DefenceSettings,
  sites: readonly Site[],
  result: CellResult,
): NamedTensors {
  if (row.merge) return row.merge(contributions);
  if (!row.validate) return mergeByMethod(row.method, contributions, { reference: base });
  // Sample counts are fixed by round 0; an inflating attacker claims its inflated count from round 0 on,
  // so only maxSampleWeight limits it.
  const fixed = new Map(
    contributions.map((c) => [c.peerId, c.samples === ATTACK_PARAMS.inflatedSamples ? c.samples : site(c)]),
  );
  function site(c: Contribution): number {
    return sites.find((s) => s.name === c.peerId)!.train.rows;
  }
  const v = validateRound(contributions, {
    reference: base,
    expectedShapes: shapesOf(base),
    normMultiple: d.normMultiple,
    maxSampleWeight: d.maxSampleWeight,
    fixedSamples: fixed,
  });
  for (const x of v.excluded) {
    if (attackers.has(x.peerId)) result.excludedAttackers++;
    else result.excludedHonest++;
  }
  return mergeByMethod(row.method, v.accepted, { reference: base, trim: d.trim, clipNorm: d.clipNorm });
}

/** Site updates by (base model, site, flipped labels): a trajectory two cells share is trained once. */
class TrainCache {
  private readonly entries = new Map<string, { tensors: NamedTensors; samples: number }>();
  hits = 0;
  misses = 0;
  constructor(
    private readonly trainer: Trainer,
    private readonly o: HarnessOptions,
    private readonly capacity: number,
  ) {}

  async train(site: Site, base: NamedTensors, baseHash: string, round: number, flipped: boolean) {
    const key = `${baseHash}:${site.name}:${round}:${flipped}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.hits++;
      this.entries.delete(key); // re-insert: least recently used first out
      this.entries.set(key, hit);
      return hit;
    }
    this.misses++;
    // SiteWork.train: the merged weights (a fresh optimizer), then epochsPerRound epochs with the site's seed.
    this.trainer.setWeights(base);
    const data = flipped ? site.flipped : site.train;
    await this.trainer.fit(data, null, {
      epochs: this.o.epochsPerRound,
      batchSize: TRAINING.batchSize,
      learningRate: this.o.learningRate,
      seed: site.seed * 1000 + round,
      patience: null,
    });
    const u = { tensors: await this.trainer.getWeights(), samples: data.rows };
    this.entries.set(key, u);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
    return u;
  }
}

function allFinite(t: NamedTensors): boolean {
  for (const { data } of t.values()) for (const v of data) if (!Number.isFinite(v)) return false;
  return true;
}
