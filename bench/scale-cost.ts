// Cost per round as the swarm grows (issue 20): measured with real swarm peers in this one process (libp2p
// hosts on 127.0.0.1, PSK, gossipsub, createSwarmPeer) at 5 and 10 peers, and with real `swarmd start`
// daemons (the scale soak, a 1 MB model) at 20 and 30, where one JavaScript thread carrying every peer no
// longer measures the protocol (at 20 peers links dropped and updates were fetched twice; the secure run of
// 20 had not ended after 20 minutes). Printed next to the protocol model (bench/scale/model.ts), then the
// model alone up to 100 peers, with the ring all-reduce bound 2(n − 1)/n × model, and what the SecAgg+
// graph (`graphDegree: auto`) changes.
//   npx tsc -p tsconfig.json && node dist/bench/scale-cost.js [--peers 5,10 --sizes 1,10 --rounds 2 --daemons 20,30]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { loadavg } from 'node:os';
import { median, plan, runSize } from './swarm-bench.js';
import { autoDegree, exposureProbability, maskDegree, roundCost, type GraphDegree } from './scale/model.js';
import { runScaleSoak } from './soak/scale.js';

export interface ScaleCostOptions {
  /** Swarm sizes measured in process (every peer shares this one JavaScript thread). */
  peers?: number[];
  sizesMb?: number[];
  rounds?: number;
  /** Swarm sizes measured with one `swarmd start` daemon per site (1 MB model, plain and secure). */
  daemons?: number[];
}

const MODELLED_PEERS = [5, 10, 20, 30, 50, 100];
const MODELLED_SIZES_MB = [1, 10];

export async function runScaleCost(o: ScaleCostOptions = {}): Promise<void> {
  const peers = o.peers ?? [5, 10];
  const sizes = o.sizesMb ?? [1];
  if (peers.length > 0) await measure(peers, sizes, o.rounds ?? 2);
  const daemons = o.daemons ?? [20, 30];
  if (daemons.length > 0) await measureDaemons(daemons);
  printModel();
  printGuarantee();
}

async function measure(peers: number[], sizes: number[], rounds: number): Promise<void> {
  console.log(
    `\n## Cost per round as the swarm grows: measured (${peers.join(', ')} peers in one process, ${sizes.join(', ')} MB float32, ` +
      `plain and secure with minPeers n − 1) beside the protocol model; hellos excluded`,
  );
  console.log(
    '| peers | model | aggregation | round wall | msgs sent/peer (model) | app bytes/peer ÷ model (model) | TCP ÷ model (model) | ring 2(n−1)/n | load |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const n of peers) {
    for (const sizeMb of sizes) {
      for (const aggregation of ['plain', 'secure'] as const) {
        // Secure rounds with minPeers n − 1, as the scale soak runs them: one update lost on this loaded
        // thread would otherwise hold a secure round of n for ever (its masked vector cannot be rebuilt).
        const extra = aggregation === 'secure' ? { minPeers: n - 1 } : {};
        const r = await runSize(n, plan(sizeMb, rounds), aggregation === 'secure', undefined, extra);
        const m = roundCost({ peers: n, modelBytes: r.updateBytes, aggregation });
        const each = (pick: (s: (typeof r.rounds)[number]) => number[]) =>
          median(r.rounds.flatMap((s) => pick(s)));
        const ratio = (x: number) => (x / r.updateBytes).toFixed(2);
        const walls = r.rounds.map((s) => s.wallMs);
        const row = r.rounds.length
          ? [
              `${(median(walls) / 1000).toFixed(1)} s`,
              `${each((s) => s.messages).toFixed(0)} (${m.messages.toFixed(1)})`,
              `${ratio(each((s) => s.sent))} (${ratio(m.appBytes)})`,
              `${ratio(each((s) => s.wire))} (${ratio(m.wireBytes)})`,
            ]
          : ['no round', '-', '-', '-'];
        const ring = ratio(m.ringAllReduceBytes);
        console.log(
          `| ${n} | ${sizeMb} MB | ${aggregation} | ${row.join(' | ')} | ${ring} | ${loadavg()[0].toFixed(1)} |`,
        );
        for (const note of r.notes) console.log(`    ${n} peers ${sizeMb} MB ${aggregation}: ${note}`);
      }
    }
  }
}

/** One daemon per site, each started from one bootstrap address (the scale soak), a 1 MB model, 2 steady rounds. */
async function measureDaemons(sizes: number[]): Promise<void> {
  console.log(
    `\n## Cost per round as the swarm grows: measured with ${sizes.join(', ')} \`swarmd start\` daemons on this machine ` +
      '(a 1 MB model: two hidden layers; secure with minPeers n − 1); bytes sent per site per round from each /metrics, mean over sites, hellos included',
  );
  console.log(
    '| sites | model | aggregation | round wall | bytes sent/site ÷ model (model) | ring 2(n−1)/n | load |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const n of sizes) {
    for (const aggregation of ['plain', 'secure'] as const) {
      const r = await runScaleSoak({ sites: n, aggregation, rounds: 3, modelMb: 1 });
      const m = roundCost({ peers: n, modelBytes: r.sent.updateMb * 1e6, aggregation });
      const ratio = (x: number) => (x / (r.sent.updateMb * 1e6)).toFixed(2);
      console.log(
        `| ${n} | ${r.sent.updateMb.toFixed(2)} MB | ${aggregation} | ${(r.steady.msPerRound / 1000).toFixed(1)} s | ` +
          `${r.sent.ratio.toFixed(2)} (${ratio(m.appBytes)}) | ${ratio(m.ringAllReduceBytes)} | ${r.load.end.toFixed(1)} |`,
      );
      if (!r.ok) console.log(`    ${n} daemons ${aggregation}: ${r.problems.join('; ')}`);
    }
  }
}

function printModel(): void {
  console.log(
    '\n## Cost per round, model (bench/scale/model.ts): per peer per round, bytes ÷ model size; secure with `all` / `auto` graphs',
  );
  console.log(
    '| peers | model | plain: msgs, app, TCP | secure all: k, msgs, TCP, PRG expansions | secure auto: k, msgs, TCP, PRG expansions | ring all-reduce |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const n of MODELLED_PEERS) {
    for (const sizeMb of MODELLED_SIZES_MB) {
      const modelBytes = sizeMb * 1e6;
      const plain = roundCost({ peers: n, modelBytes, aggregation: 'plain' });
      const sec = (g: GraphDegree) =>
        roundCost({ peers: n, modelBytes, aggregation: 'secure', graphDegree: g });
      const r = (x: number) => (x / modelBytes).toFixed(x / modelBytes < 10 ? 2 : 0);
      const secure = (g: GraphDegree) => {
        const s = sec(g);
        return `k ${s.degree}, ${s.messages.toFixed(0)}, ${r(s.wireBytes)} (${s.transfer}), ${s.expansions}`;
      };
      console.log(
        `| ${n} | ${sizeMb} MB | ${plain.messages.toFixed(0)}, ${r(plain.appBytes)}, ${r(plain.wireBytes)} (${plain.transfer}) | ` +
          `${secure('all')} | ${secure('auto')} | ${r(plain.ringAllReduceBytes)} |`,
      );
    }
  }
}

/** The chance per round that an honest site's graph neighbours hold t of its shares (then they can unmask it). */
function printGuarantee(): void {
  console.log(
    '\n## SecAgg+ graph (`graphDegree: auto`, k = 2⌈log2 n⌉ + 2; equal to `all` up to n = 11): per round, chance that c colluders can unmask one honest site',
  );
  console.log('| peers | k auto | t of k+1 (auto) | t of n (all) | c = n/10 | c = n/5 | c = n/3 |');
  console.log('|---|---|---|---|---|---|---|');
  for (const n of [12, 20, 30, 50, 100]) {
    const k = autoDegree(n);
    const t = (holders: number) => holders - Math.floor(0.34 * holders);
    const p = (c: number) => {
      const auto = exposureProbability(n, c, k, t(k + 1));
      const all = exposureProbability(n, c, maskDegree(n, 'all'), t(n));
      return `${auto.toExponential(1)} (all: ${all})`;
    };
    const cs = [0.1, 0.2, 1 / 3].map((f) => Math.floor(f * n));
    console.log(`| ${n} | ${k} | ${t(k + 1)} | ${t(n)} | ${cs.map(p).join(' | ')} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: args } = parseArgs({
    options: {
      peers: { type: 'string', default: '5,10' },
      daemons: { type: 'string', default: '20,30' },
      sizes: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '2' },
    },
  });
  const list = (s: string) => s.split(',').filter(Boolean).map(Number); // --peers '': the model alone
  const rounds = Number(args.rounds);
  await runScaleCost({
    peers: list(args.peers),
    sizesMb: list(args.sizes),
    rounds,
    daemons: list(args.daemons),
  });
}
