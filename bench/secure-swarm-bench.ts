// Secure vs plain aggregation, side by side in one run: 3, 5 and 8 real swarm peers (libp2p on 127.0.0.1, one
// process) per aggregation, the same synthetic 2 MB model (pulled over the direct protocol either way, so bytes
// compare like for like). Per swarm: round wall time, app bytes sent per peer ÷ model size, process CPU per
// peer per round, CPU ms to mask
// (encode + masks + wire form) and to unmask (every peer), and for secure rounds when each step ended.
//   npx tsc -p tsconfig.json && node dist/bench/secure-swarm-bench.js [--peers 3,5,8] [--rounds 3]
import '../src/core/polyfill.js';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { median, plan, runSize, type SizeResult } from './swarm-bench.js';

const SIZE_MB = 2;
/** The secure round's steps, in order, timed from the barrier that ends round r − 1 (all peers applied it). */
const STEPS = ['advert', 'roster', 'shares', 'masked', 'unmask', 'reveal', 'unmasked'] as const;
type Step = (typeof STEPS)[number];

/**
 * When each step of each round ended (performance.now()): the first arrival of the last sender's message
 * (peers re-send their messages until the round moves on, so later copies say nothing), the last mask and
 * unmask; and the CPU ms spent masking and unmasking.
 */
class StepClock {
  readonly last = new Map<string, number>();
  private readonly firstFrom = new Set<string>();
  readonly maskMs: number[] = [];
  readonly unmaskMs: number[] = [];

  onDebug = (fields: object, msg?: string): void => {
    const f = fields as { round?: number; peer?: string; step?: string; maskMs?: number; unmaskMs?: number };
    if (f.round === undefined) return;
    let step: string | undefined;
    if (msg === 'secure-round message') {
      const key = `${f.round}/${f.step}/${f.peer}`;
      if (this.firstFrom.has(key)) return;
      this.firstFrom.add(key);
      step = f.step;
    }
    if (f.maskMs !== undefined) {
      step = 'masked';
      this.maskMs.push(f.maskMs);
    }
    if (f.unmaskMs !== undefined) {
      step = 'unmasked';
      this.unmaskMs.push(f.unmaskMs);
    }
    if (step !== undefined) this.last.set(`${f.round}/${step}`, performance.now());
  };

  /** Median over rounds of each step's end, seconds after the round began. */
  ends(r: SizeResult): Map<Step, number> {
    const out = new Map<Step, number>();
    for (const step of STEPS) {
      const at: number[] = [];
      for (let round = 1; r.appliedAt.has(round); round++) {
        const t = this.last.get(`${round}/${step}`);
        if (t !== undefined) at.push((t - r.appliedAt.get(round - 1)!) / 1000);
      }
      if (at.length > 0) out.set(step, median(at));
    }
    return out;
  }
}

interface Row {
  peers: number;
  secure: boolean;
  result: SizeResult;
  steps: StepClock;
}

function wall(r: SizeResult): number {
  return median(r.rounds.map((x) => x.wallMs)) / 1000;
}

function sentRatio(r: SizeResult): number {
  return median(r.rounds.map((x) => x.sent.reduce((a, b) => a + b, 0) / x.sent.length / r.updateBytes));
}

/** Process CPU (all threads) per round ÷ peers: what one site's machine would spend, in seconds. */
function cpuPerPeer(r: SizeResult, peers: number): number {
  return median(r.rounds.map((x) => x.cpuMs)) / peers / 1000;
}

function printRow(row: Row, plain: Row | undefined): void {
  const { result: r, steps } = row;
  const cells = [
    String(row.peers).padStart(5),
    (row.secure ? 'secure' : 'plain').padEnd(6),
    String(r.rounds.length).padStart(6),
    `${wall(r).toFixed(2)} s`.padStart(9),
    (plain ? `${((wall(r) / wall(plain.result) - 1) * 100).toFixed(0)} %` : '').padStart(8),
    sentRatio(r).toFixed(2).padStart(8),
    (plain ? `${(sentRatio(r) / sentRatio(plain.result)).toFixed(2)}×` : '').padStart(8),
    `${cpuPerPeer(r, row.peers).toFixed(2)} s`.padStart(8),
    (plain ? `${(cpuPerPeer(r, row.peers) / cpuPerPeer(plain.result, row.peers)).toFixed(2)}×` : '').padStart(
      8,
    ),
    (steps.maskMs.length ? `${median(steps.maskMs).toFixed(0)} ms` : '').padStart(8),
    (steps.unmaskMs.length ? `${median(steps.unmaskMs).toFixed(0)} ms` : '').padStart(8),
  ];
  console.log(`  ${cells.join(' | ')}`);
}

function printSteps(row: Row): void {
  const ends = row.steps.ends(row.result);
  const cells = STEPS.map((s) => `${s} ${ends.get(s)?.toFixed(2) ?? '–'}`);
  console.log(`  ${row.peers} peers, step ends (s into the round): ${cells.join(', ')}`);
}

export async function runSecureSwarmBench(peerCounts = [3, 5, 8], rounds = 3): Promise<void> {
  const p = plan(SIZE_MB, rounds);
  console.log(
    `\n## Secure vs plain aggregation: ${SIZE_MB} MB model (float32), ${rounds} rounds after round 0, real libp2p peers in one process`,
  );
  const rows: Row[] = [];
  for (const peers of peerCounts) {
    for (const secure of [false, true]) {
      const steps = new StepClock();
      const result = { ...(await runSize(peers, p, secure, steps.onDebug)), mergeMs: NaN };
      rows.push({ peers, secure, result, steps });
    }
  }
  console.log(
    '\n  peers | aggr.  | rounds | round wall | vs plain | sent/model | vs plain | CPU/peer | vs plain | mask CPU | unmask CPU',
  );
  for (const row of rows) {
    printRow(row, row.secure ? rows.find((x) => x.peers === row.peers && !x.secure) : undefined);
  }
  console.log('');
  for (const row of rows.filter((x) => x.secure)) printSteps(row);
  for (const row of rows) {
    console.log(
      `  ${row.peers} ${row.secure ? 'secure' : 'plain'}: round walls ${row.result.rounds.map((x) => (x.wallMs / 1000).toFixed(2)).join(', ')} s; ${row.result.notes.join('; ')}`,
    );
  }
  console.log(
    '  round wall: all peers applied r − 1 → all applied r (median). sent/model: SwarmPeerStatus.bytesSent per peer per',
  );
  console.log(
    '  round ÷ model bytes (updates pulled by each receiver: plain floor n − 1). CPU/peer: process CPU per round ÷ peers.',
  );
  console.log('  mask CPU: encode + mask + wire form per');
  console.log(
    '  contributor; unmask CPU: decode + unmask + decode sum per peer (median; synchronous, so its wall time is CPU).',
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  const peers = process.argv.includes('--peers') ? arg('--peers').split(',').map(Number) : undefined;
  await runSecureSwarmBench(peers, process.argv.includes('--rounds') ? Number(arg('--rounds')) : undefined);
}
