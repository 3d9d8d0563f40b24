// Secure aggregation cost (pure protocol, one process): per contributor, set-up (keys, sealed shares), encode +
// mask of 1 M float32 weights, bytes sent; per peer, unmasking with everybody present and with one site dropped
// after set-up; next to a plain fedAvg of the same updates.
//   npx tsc -p tsconfig.json && node dist/bench/secagg-bench.js
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_FIXED_POINT,
  advertBytes,
  chooseThreshold,
  createAdvert,
  createSecureRound,
  dealShares,
  decodeSum,
  encodeUpdate,
  fedAvg,
  generateRoundKeys,
  maskUpdate,
  openShares,
  residueBytes,
  residuesToBytes,
  revealShares,
  unmask,
  type DealtShares,
  type HeldShares,
  type RoundKeys,
} from '../src/swarm/index.js';

const ELEMENTS = 1_000_000;
const ctx = { swarmId: 'bench', round: 1 };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** CPU time (user + system) of f in ms: the 2 cores are shared, so wall time says more about the neighbours. */
function timed<T>(f: () => T): [T, number] {
  const t0 = process.cpuUsage();
  const out = f();
  const used = process.cpuUsage(t0);
  return [out, (used.user + used.system) / 1000];
}

function benchSize(n: number): string {
  const { threshold } = chooseThreshold(n, 0.34);
  const ids = Array.from({ length: n }, (_, i) => `12D3KooBenchPeer${i}`);
  const updates = ids.map(() => Float32Array.from({ length: ELEMENTS }, () => Math.random() * 2 - 1));
  const samples = ids.map((_, i) => 100 + i);
  const setupMs: number[] = [];
  const keys: RoundKeys[] = ids.map(() => {
    const [k, ms] = timed(() => generateRoundKeys(randomBytes));
    setupMs.push(ms);
    return k;
  });
  const adverts = ids.map((id, i) => createAdvert(ctx, id, keys[i]));
  const round = createSecureRound(ctx, adverts, { threshold });
  const dealt: DealtShares[] = ids.map((id, i) => {
    const [d, ms] = timed(() => dealShares(round, id, keys[i], randomBytes));
    setupMs[i] += ms;
    return d;
  });
  const held = ids.map((holder, h) => {
    const [m, ms] = timed(() => {
      const out = new Map<string, HeldShares>();
      ids.forEach((dealer, d) => {
        const c = dealt[d].commitments.get(holder)!;
        out.set(dealer, openShares(round, holder, keys[h], dealer, dealt[d].envelopes.get(holder)!, c));
      });
      return out;
    });
    setupMs[h] += ms;
    return m;
  });
  const maskMs: number[] = [];
  const masked = ids.map((id, i) => {
    const [v, ms] = timed(() =>
      maskUpdate(round, id, keys[i], encodeUpdate(updates[i], samples[i], DEFAULT_FIXED_POINT)),
    );
    maskMs.push(ms);
    return v;
  });
  const commitments = new Map(ids.map((id, d) => [id, dealt[d].commitments]));
  const unmaskAll = (senders: number[]) => {
    const sent = senders.map((i) => ids[i]);
    const reveals = new Map(senders.map((i) => [ids[i], revealShares(round, held[i], sent)]));
    const input = {
      masked: new Map(senders.map((i) => [ids[i], masked[i]])),
      reveals,
      commitments,
      elements: ELEMENTS + 1,
    };
    return timed(() => decodeSum(unmask(round, input).sum, DEFAULT_FIXED_POINT));
  };
  const everyone = ids.map((_, i) => i);
  const [, allMs] = unmaskAll(everyone);
  const [, dropMs] = unmaskAll(everyone.slice(1));
  const contributions = ids.map((peerId, i) => ({
    peerId,
    samples: samples[i],
    tensors: new Map([['w', { shape: [ELEMENTS], data: updates[i] }]]),
  }));
  const [, plainMs] = timed(() => fedAvg(contributions));
  const revealBytes = revealShares(round, held[0], ids).reduce(
    (s, r) => s + r.y.length + r.dealer.length + 1,
    0,
  );
  const setupBytes =
    advertBytes(ctx, adverts[0]).length +
    64 + // signed advert
    [...dealt[0].envelopes.values()].reduce((s, e) => s + e.length, 0) +
    dealt[0].commitments.size * 2 * 32;
  const maskedBytes = residuesToBytes(masked[0], residueBytes(DEFAULT_FIXED_POINT)).length;
  const plainBytes = ELEMENTS * 4;
  return [
    String(n).padStart(3),
    String(threshold).padStart(3),
    `${median(setupMs).toFixed(0)} ms`.padStart(8),
    `${median(maskMs).toFixed(0)} ms`.padStart(10),
    `${allMs.toFixed(0)} / ${dropMs.toFixed(0)} ms`.padStart(16),
    `${plainMs.toFixed(0)} ms`.padStart(8),
    `${(maskedBytes / plainBytes).toFixed(3)} + ${((setupBytes + revealBytes) / plainBytes).toFixed(4)}`.padStart(
      15,
    ),
  ].join(' | ');
}

export function runSecAggBench(sizes: number[] = [5, 10]): void {
  console.log(
    `\n## Secure aggregation (pure protocol, one process, 2 shared cores): ${ELEMENTS} float32 weights`,
  );
  console.log(
    '    n |   t |  set-up | encode+mask | unmask all / 1 drop | fedAvg | bytes sent / plain (masked + set-up & reveal)',
  );
  for (const n of sizes) console.log(`  ${benchSize(n)}`);
  console.log(
    '  CPU ms (user + system). set-up, encode+mask: per contributor (median); unmask: once per peer, incl. decode;',
  );
  console.log(
    `  fedAvg: plain merge of the same n updates. Masked: ${residueBytes(DEFAULT_FIXED_POINT)} B per residue (52 bits; +1 for samples) vs 4 B float32.`,
  );
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) runSecAggBench();
