// The attack table (issue 11): held-out accuracy of the merged model when f of 10 sites attack, per merge
// rule, worst case over the attacks, then per attack. In-process (see byzantine-harness.ts), no network.
//   npm run table:byzantine [-- --rounds 4 --epochs-per-round 1 --learning-rate 0.01 --max-f 3]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/models/index.js';
import { ATTACK_PARAMS } from './attacks.js';
import {
  MERGE_ROWS,
  TABLE_ATTACKS,
  TABLE_DEFENCE,
  createHarness,
  type CellResult,
} from './byzantine-harness.js';

const { values: args } = parseArgs({
  options: {
    sites: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '4' },
    'epochs-per-round': { type: 'string', default: '1' },
    'learning-rate': { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '42' },
    'max-f': { type: 'string', default: '3' },
  },
});
const maxF = Number(args['max-f']);
const backend = await selectBackend('auto');
const started = Date.now();
const h = await createHarness({
  sites: Number(args.sites),
  seed: Number(args.seed),
  rounds: Number(args.rounds),
  epochsPerRound: Number(args['epochs-per-round']),
  learningRate: Number(args['learning-rate']),
  defence: TABLE_DEFENCE,
});
const o = h.options;
const results = new Map<string, CellResult>(); // `${row}|${attack}|${f}`
const cellKey = (row: string, attack: string, f: number) => `${row}|${attack}|${f}`;
for (const row of MERGE_ROWS) {
  const r = await h.runCell(row, null, 0);
  results.set(cellKey(row.label, 'none', 0), r);
  process.stderr.write(`f=0 ${row.label}: ${pct(r.accuracy)} (${elapsed()})\n`);
}
for (let f = 1; f <= maxF; f++) {
  for (const attack of TABLE_ATTACKS) {
    for (const row of MERGE_ROWS) {
      const r = await h.runCell(row, attack, f);
      results.set(cellKey(row.label, attack, f), r);
      process.stderr.write(`f=${f} ${attack} ${row.label}: ${pct(r.accuracy)} (${elapsed()})\n`);
    }
  }
  printTables(f);
}
h.dispose();

process.exit(0); // tfjs backends may keep the event loop alive

/** The tables for f = 1 … maxF (printed after each f, so a stopped run still shows what it measured). */
function printTables(maxF: number): void {
  const d = TABLE_DEFENCE;
  const p = ATTACK_PARAMS;
  console.log(
    `# Byzantine sites vs merge rules — TCGA (1204 × 3556, 11 classes) split by patient over ${o.sites} sites ` +
      `(${h.siteRows.join('/')} training rows), held-out test split ${h.testRows} rows\n\n` +
      `In-process simulation, no network: each round the honest sites train with the daemon's trainer ` +
      `(SiteWork settings: batch 32, learning rate ${o.learningRate}, ${o.epochsPerRound} local epoch, ` +
      `seeds per site and round) and every update goes through the daemon's validateRound and mergeByMethod ` +
      `(src/swarm/protocol). ${o.rounds} rounds; backend ${backend.name}; ${elapsed()}.\n` +
      `Attackers are the first f sites, all running the same attack from round 1 (round 0's statistics are honest). ` +
      `ByzFL definitions on updates (weights − round's model): SignFlip −mean, ALIE mean + ${p.tau}·std, ` +
      `IPM −${p.epsilon}·mean of the honest updates (omniscient attacker), Gaussian N(0, ${p.sigma}²), ` +
      `LabelFlip (y → 10 − y, then honest training), NaN (every weight), inflation (honest update, claims ` +
      `${p.inflatedSamples.toLocaleString('en')} samples from round 0 on).\n` +
      `Validation: shapes, finite, sample count fixed at round 0, norm ≤ ${d.normMultiple} × the round's median, ` +
      `maxSampleWeight ${d.maxSampleWeight}; trimmed-mean trim ${d.trim}; clipped-fedavg clipNorm ${d.clipNorm}.\n`,
  );
  console.log('## Worst case over the attacks (accuracy, and the attack that did it)\n');
  console.log(tableHead(['merge', 'clean (f = 0)'], maxF));
  for (const row of MERGE_ROWS) {
    const clean = results.get(cellKey(row.label, 'none', 0))!;
    const cells = range(maxF).map((f) => {
      const worst = TABLE_ATTACKS.map((a) => ({ a, r: results.get(cellKey(row.label, a, f))! })).sort(
        (x, y) => x.r.accuracy - y.r.accuracy,
      )[0];
      return `${pct(worst.r.accuracy)} (${worst.a})`;
    });
    console.log(`| ${row.label} | ${pct(clean.accuracy)} | ${cells.join(' | ')} |`);
  }
  console.log('\n## Per attack (accuracy; excluded updates over all rounds: attackers / honest)\n');
  console.log(tableHead(['attack', 'merge'], maxF));
  for (const attack of TABLE_ATTACKS) {
    for (const row of MERGE_ROWS) {
      const cells = range(maxF).map((f) => {
        const r = results.get(cellKey(row.label, attack, f))!;
        const ex = row.validate ? ` · ${r.excludedAttackers}/${r.excludedHonest}` : '';
        return `${pct(r.accuracy)}${ex}${r.diedAfterRound !== null ? ' (NaN)' : ''}`;
      });
      console.log(`| ${attack} | ${row.label} | ${cells.join(' | ')} |`);
    }
  }
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}
function tableHead(first: string[], maxF: number): string {
  const cols = [...first, ...range(maxF).map((f) => `f = ${f}`)];
  return `| ${cols.join(' | ')} |\n|${cols.map(() => '---').join('|')}|`;
}
function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i + 1);
}
function elapsed(): string {
  return `${((Date.now() - started) / 1000).toFixed(0)} s`;
}
