// The model-lock study (issue 10): on each bundled data set (and the swarm's own 3-site FedAvg model), a plain
// model, the locked model with the right key, 5 wrong keys, the INR removed, and the fine-tune attack, for
// each lock design. Designs are compared with --eval val; the README's table is --eval test.
//   npm run table:lock [-- --sets TCGA,PBMC,Khan,WDBC,swarm --locks infl,shuffle --eval test --epochs 60]
// --model '{"arch":"linear","l2":0.01}' studies another architecture (merged into each data set's model configs;
// the swarm row keeps its own model).
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import type { NamedTensors } from '../src/core/index.js';
import { parseModelConfig, selectBackend, type LabeledData, type ModelConfig } from '../src/models/index.js';
import { STUDY_SETS, loadStudySet } from './lock/datasets.js';
import {
  accuracyOf,
  majorityRate,
  studyKey,
  studyLock,
  trainModel,
  type LockResult,
  type StudyOptions,
} from './lock/study.js';
import { trainSwarmModel } from './lock/swarm.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'data' },
    sets: { type: 'string', default: 'Khan,WDBC,TCGA,swarm,PBMC' },
    locks: { type: 'string', default: 'infl,shuffle' },
    eval: { type: 'string', default: 'test' },
    epochs: { type: 'string', default: '30' },
    'attack-steps': { type: 'string', default: '100' },
    ks: { type: 'string', default: '5,20' },
    rounds: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    backend: { type: 'string', default: 'auto' },
    model: { type: 'string', default: '{}' },
  },
});

const pct = (v: number) => (v * 100).toFixed(1);

async function main(): Promise<void> {
  const backend = await selectBackend(args.backend as 'auto');
  const seed = Number(args.seed);
  const o: StudyOptions = {
    seed,
    epochs: Number(args.epochs),
    patience: 5,
    attackSteps: Number(args['attack-steps']),
    wrongKeys: 5,
    ks: args.ks!.split(',').map(Number),
  };
  const locks = args.locks!.split(',') as ('infl' | 'shuffle')[];
  const evalOn = args.eval === 'val' ? 'val' : 'test';
  const key = studyKey('right', seed);
  const started = Date.now();
  console.log(
    `backend ${backend.name}; seed ${seed}; scored on the ${evalOn} split; ${o.epochs} epochs (early stop on val, patience ${o.patience}; Khan 150, no early stop); ` +
      `attack: ${o.attackSteps} steps of Adam 1e-3, batch 32, k ∈ {${o.ks.join(', ')}} per class`,
  );
  printHeader(o.ks);
  const notes: string[] = [];
  for (const name of args.sets!.split(',')) {
    const t0 = Date.now();
    let sets: {
      train: LabeledData;
      val: LabeledData;
      eval: LabeledData;
      base: { inputDim: number; numClasses: number };
      about: string;
    };
    let trained: (config: ModelConfig, withKey: boolean) => Promise<NamedTensors>;
    if (name === 'swarm') {
      const swarm = await trainSwarmModel(args.data!, seed, Number(args.rounds), key);
      sets = {
        ...swarm.sets,
        eval: evalOn === 'val' ? swarm.sets.val : swarm.sets.test,
        base: swarm.base,
        about: swarm.about,
      };
      trained = swarm.train;
    } else {
      const spec = STUDY_SETS.find((s) => s.name === name);
      if (!spec)
        throw new Error(`no data set ${name}: one of ${STUDY_SETS.map((s) => s.name).join(', ')}, swarm`);
      const l = await loadStudySet(spec, args.data!, seed);
      const base = { inputDim: l.ds.cols, numClasses: l.ds.classNames.length };
      sets = {
        train: l.data.train,
        val: l.data.val,
        eval: evalOn === 'val' ? l.data.val : l.data.test,
        base,
        about: `${l.ds.rows}×${l.ds.cols}, ${base.numClasses} cl., train/val/test ${l.data.train.rows}/${l.data.val.rows}/${l.data.test.rows}`,
      };
      const budget = {
        ...o,
        epochs: spec.epochs ?? o.epochs,
        patience: spec.patience === undefined ? o.patience : spec.patience,
      };
      trained = (config, withKey) =>
        trainModel(config, withKey ? { kind: 'key', key } : null, l.data.train, l.data.val, budget);
    }
    const model = JSON.parse(args.model!) as { inr?: object };
    const plainConfig = parseModelConfig({ ...sets.base, seed, ...model, inr: null });
    const plain = await accuracyOf(plainConfig, null, await trained(plainConfig, false), sets.eval);
    const rates = {
      chance: 1 / sets.base.numClasses,
      majority: majorityRate(sets.eval, sets.base.numClasses),
    };
    for (const lock of locks) {
      const config = parseModelConfig({ ...sets.base, seed, ...model, inr: { ...model.inr, lock } });
      const weights = await trained(config, true);
      const result = await studyLock(config, key, weights, sets.eval, o);
      const onVal =
        evalOn === 'val' ? null : await studyLock(config, key, weights, sets.val, { ...o, ks: [] });
      printRow(`${name} (${sets.about})`, lock, plain, rates, result, onVal);
      if (lock === locks[0])
        notes.push(
          `${name}: ${result.attacks.map((a) => `k=${a.k}: ${a.shots} shots, ${a.scored} scored`).join('; ')}`,
        );
    }
    console.error(`${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  console.log(
    `attacker's samples (k per class, at most half of a class) and rows scored: ${notes.join(' · ')}`,
  );
  console.log(`total ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

function printHeader(ks: number[]): void {
  const attack = ks.flatMap((k) => [
    `k=${k}: stolen+random key`,
    `k=${k}: stolen, INR removed`,
    `k=${k}: scratch`,
  ]);
  const cols = [
    'data set',
    'lock',
    'chance',
    'majority',
    'plain',
    'right key',
    'wrong keys min/med/max',
    'INR removed',
    ...attack,
    'val: right / wrong max / removed',
  ];
  console.log(`| ${cols.join(' | ')} |`);
  console.log(`|${cols.map(() => '---').join('|')}|`);
}

function printRow(
  set: string,
  lock: string,
  plain: number,
  rates: { chance: number; majority: number },
  r: LockResult,
  val: LockResult | null,
): void {
  const w = [...r.wrong].sort((a, b) => a - b);
  const attack = r.attacks.flatMap((a) => [pct(a.stolenRandomKey), pct(a.stolenRemoved), pct(a.scratch)]);
  const cells = [
    set,
    lock,
    pct(rates.chance),
    pct(rates.majority),
    pct(plain),
    pct(r.right),
    `${pct(w[0])} / ${pct(w[Math.floor(w.length / 2)])} / ${pct(w[w.length - 1])}`,
    pct(r.removed),
    ...attack,
    val ? `${pct(val.right)} / ${pct(Math.max(...val.wrong))} / ${pct(val.removed)}` : '',
  ];
  console.log(`| ${cells.join(' | ')} |`);
}

await main();
