// Accuracy of secure vs plain aggregation on the bundled TCGA set (issue 7): 3 and 5 sites split by patient,
// the same seeds, rounds and local training (the robustness table's in-process harness: SiteWork's trainer,
// no network), merged each round either by fedAvg (aggregation: plain) or by the secure round's arithmetic
// end to end — fresh keys, sealed Shamir shares, fixed-point encoding, pairwise and self masks, the 7-byte
// wire form, revealed shares, unmasking and decoding (aggregation: secure). Only quantisation differs.
//   npm run table:secure [-- --rounds 8 --epochs-per-round 2 --learning-rate 0.001 --seed 42]
import '../src/core/polyfill.js';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { NamedTensors } from '../src/core/index.js';
import { selectBackend } from '../src/models/index.js';
import {
  DEFAULT_FIXED_POINT,
  chooseThreshold,
  createAdvert,
  createSecureRound,
  dealShares,
  decodeSum,
  encodeUpdate,
  flattenTensors,
  generateRoundKeys,
  maskUpdate,
  openShares,
  residueBytes,
  residuesFromBytes,
  residuesToBytes,
  revealShares,
  unflattenMean,
  unmask,
  type Contribution,
  type HeldShares,
} from '../src/swarm/protocol/index.js';
import { TABLE_DEFENCE, createHarness, type MergeRow } from './byzantine-harness.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    'epochs-per-round': { type: 'string', default: '2' },
    'learning-rate': { type: 'string', default: '0.001' },
    seed: { type: 'string', default: '42' },
  },
});

let secureRound = 0;

/** One secure round among the contributors, every step as the peers run it; returns the decoded merge. */
function secureMerge(contributions: Contribution[]): NamedTensors {
  const ctx = { swarmId: 'secure-table', round: ++secureRound };
  const ids = contributions.map((c) => c.peerId);
  const keys = ids.map(() => generateRoundKeys((n) => new Uint8Array(randomBytes(n))));
  const adverts = ids.map((id, i) => createAdvert(ctx, id, keys[i]));
  const round = createSecureRound(ctx, adverts, { threshold: chooseThreshold(ids.length, 0.34).threshold });
  const dealt = ids.map((id, i) => dealShares(round, id, keys[i], (n) => new Uint8Array(randomBytes(n))));
  const held = ids.map((holder, h) => {
    const out = new Map<string, HeldShares>();
    ids.forEach((dealer, d) => {
      const c = dealt[d].commitments.get(holder)!;
      out.set(dealer, openShares(round, holder, keys[h], dealer, dealt[d].envelopes.get(holder)!, c));
    });
    return out;
  });
  const width = residueBytes(DEFAULT_FIXED_POINT);
  const { layout } = flattenTensors(contributions[0].tensors);
  const masked = new Map(
    contributions.map((c, i) => {
      const encoded = encodeUpdate(flattenTensors(c.tensors).values, c.samples, DEFAULT_FIXED_POINT);
      const wire = residuesToBytes(maskUpdate(round, c.peerId, keys[i], encoded), width);
      return [c.peerId, residuesFromBytes(wire, encoded.length, width)];
    }),
  );
  const reveals = new Map(ids.map((id, i) => [id, revealShares(round, held[i], ids)]));
  const commitments = new Map(ids.map((id, d) => [id, dealt[d].commitments]));
  const elements = masked.get(ids[0])!.length;
  const { sum } = unmask(round, { masked, reveals, commitments, elements });
  return unflattenMean(layout, decodeSum(sum, DEFAULT_FIXED_POINT).mean);
}

const ROWS: MergeRow[] = [
  { label: 'plain (fedAvg)', method: 'fedavg', validate: false },
  { label: 'secure (masked, 2^-20 grid)', method: 'fedavg', validate: false, merge: secureMerge },
];

const backend = await selectBackend('auto');
const [rounds, epochsPerRound] = [Number(args.rounds), Number(args['epochs-per-round'])];
console.log(
  `# Secure vs plain aggregation — TCGA (1204 × 3556, 11 classes), split by patient; backend ${backend.name}; ` +
    `${rounds} rounds × ${epochsPerRound} local epochs, learning rate ${args['learning-rate']}, seed ${args.seed}`,
);
console.log('\n| sites | plain accuracy | secure accuracy | secure − plain | time |');
console.log('|---|---|---|---|---|');
for (const sites of [3, 5]) {
  const started = Date.now();
  const h = await createHarness({
    sites,
    seed: Number(args.seed),
    rounds,
    epochsPerRound,
    learningRate: Number(args['learning-rate']),
    defence: TABLE_DEFENCE,
  });
  try {
    const [plain, secure] = [await h.runCell(ROWS[0], null, 0), await h.runCell(ROWS[1], null, 0)];
    const pt = (x: number) => `${(100 * x).toFixed(2)} %`;
    const diff = `${(100 * (secure.accuracy - plain.accuracy)).toFixed(2)} pt`;
    const secs = `${((Date.now() - started) / 1000).toFixed(0)} s`;
    console.log(`| ${sites} | ${pt(plain.accuracy)} | ${pt(secure.accuracy)} | ${diff} | ${secs} |`);
  } finally {
    h.dispose();
  }
}
console.log(
  `\nTest rows held out by patient; every site trains from the same merged model with the same seeds in both columns.`,
);
