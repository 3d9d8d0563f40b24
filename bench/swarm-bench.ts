// Swarm round cost: 5 real swarm peers (libp2p hosts on 127.0.0.1 with a PSK and member list, createSwarmPeer)
// in this one process, with synthetic models of 1, 10 and 100 MB of float32. Per size: round overhead (round
// wall time minus local training), bytes sent per peer per round over the update size (app level, as
// SwarmPeerStatus counts them, and on the TCP sockets), and fedAvg merge throughput.
//   npx tsc -p tsconfig.json && node dist/bench/swarm-bench.js
import '../src/core/polyfill.js';
import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { encodeTensors, type NamedTensors } from '../src/core/index.js';
import {
  MAX_CHUNK_BYTES,
  createSwarmHost,
  createSwarmPeer,
  createSwarmPsk,
  fedAvg,
  generateIdentity,
  peerIdOf,
  pskSecret,
  signWith,
  verifyFromPeerId,
  type CommitRecord,
  type PeerLog,
  type RoundLog,
  type RoundWork,
  type SwarmHost,
  type SwarmPeer,
  type SwarmPeerEvent,
  type SwarmPeerInit,
  type PrivateKey,
  type TrafficChannel,
} from '../src/swarm/index.js';

export interface SwarmBenchOptions {
  peers?: number;
  /** Model sizes in MB (10^6 bytes) of float32. */
  sizesMb?: number[];
  /** Training rounds per size (after the statistics round 0), indexed like sizesMb. */
  rounds?: number[];
  /** fedAvg timing runs per size (after one warm-up). */
  mergeRuns?: number;
  /** Run the rounds with aggregation: secure (masked updates), as a swarm config with defaults would. */
  secure?: boolean;
}

const SECURE_DEFAULTS = { dropoutFraction: 0.34, graphDegree: 'all' as const };

const SWARM_ID = 'bench';
/** The peer's default tick (hello, repair and liveness timers), as the daemon runs it. */
const TICK_MS = 1000;
const CHANNELS: TrafficChannel[] = ['updates', 'control', 'direct'];

/** Deadlines: the daemon's defaults (120 s / 20 s, src/node/config.ts), longer where 5 in-process peers need it. */
export function plan(sizeMb: number, rounds: number): SizePlan {
  const roundDeadlineMs = Math.max(120_000, sizeMb * 3_000);
  const commitTimeoutMs = Math.max(20_000, sizeMb * 600);
  return {
    sizeMb,
    rounds,
    roundDeadlineMs,
    commitTimeoutMs,
    waitMs: 60_000 + rounds * (roundDeadlineMs + commitTimeoutMs),
  };
}

export interface RoundSample {
  wallMs: number;
  /** Time some peer spent inside train() (one JS thread: the peers' trainings run one after another). */
  trainMs: number;
  perPeerTrainMs: number;
  /** Per peer: status().bytesSent delta; by channel from the bytes events; TCP bytes written. */
  sent: number[];
  sentBy: Record<TrafficChannel, number[]>;
  /** Per peer: messages sent (gossip publishes and direct frames, as the bytes events count them). */
  messages: number[];
  wire: number[];
  /** Process CPU time (all threads) during the round. */
  cpuMs: number;
}

export interface SizeResult {
  sizeMb: number;
  /** When every peer had applied round r (performance.now()). */
  appliedAt: Map<number, number>;
  updateBytes: number;
  rounds: RoundSample[];
  /** fedAvg of `peers` contributions, median ms. */
  mergeMs: number;
  peakRssMb: number;
  notes: string[];
}

// ---- synthetic model ----

/** A few named tensors of float32 totalling sizeBytes, filled with xorshift noise (no two chunks alike). */
function makeModel(sizeBytes: number): NamedTensors {
  const floats = Math.floor(sizeBytes / 4);
  const r1 = Math.floor((0.6 * floats) / 500);
  const r2 = Math.floor((0.3 * floats) / 500);
  const layout: [string, number[]][] = [
    ['layer1/kernel', [r1, 500]],
    ['layer2/kernel', [r2, 500]],
    ['layer2/bias', [500]],
    ['head/kernel', [floats - 500 * (r1 + r2 + 1)]],
  ];
  let x = 0x9e3779b9;
  const tensors: NamedTensors = new Map();
  for (const [name, shape] of layout) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      data[i] = (x >>> 0) / 4294967296 - 0.5;
    }
    tensors.set(name, { shape, data });
  }
  return tensors;
}

function addDelta(base: NamedTensors, delta: number): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, t] of base) {
    const data = new Float32Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = t.data[i] + delta;
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

// ---- round clock: a barrier between rounds, and when training and applying happened ----

class RoundClock {
  readonly trainings = new Map<number, { start: number; end: number }[]>();
  readonly allAppliedAt = new Map<number, number>();
  private readonly appliedCount = new Map<number, number>();
  private readonly waiters = new Map<number, (() => void)[]>();

  constructor(
    private readonly peers: number,
    private readonly onAllApplied: (round: number) => void,
  ) {}

  /** Training of round r starts once every peer applied r − 1, so rounds do not overlap in this process. */
  allApplied(round: number, signal: AbortSignal): Promise<void> {
    if (this.allAppliedAt.has(round)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      this.waiters.set(round, [...(this.waiters.get(round) ?? []), resolve]);
    });
  }

  trained(round: number, start: number, end: number): void {
    this.trainings.set(round, [...(this.trainings.get(round) ?? []), { start, end }]);
  }

  applied(round: number): void {
    const n = (this.appliedCount.get(round) ?? 0) + 1;
    this.appliedCount.set(round, n);
    if (n < this.peers) return;
    this.allAppliedAt.set(round, performance.now());
    this.onAllApplied(round);
    for (const resolve of this.waiters.get(round) ?? []) resolve();
    this.waiters.delete(round);
  }
}

class BenchWork implements RoundWork, RoundLog {
  private readonly log: CommitRecord[] = [];
  private readonly votes = new Map<number, string>();

  constructor(
    private readonly k: number,
    private readonly initial: NamedTensors,
    private readonly clock: RoundClock,
  ) {}

  /** Round 0 fixes each site's sample count (a later claim above it is excluded), so it names the same. */
  async stats() {
    const samples = 100 + this.k;
    return { tensors: new Map([['count', { shape: [1], data: Float32Array.of(samples) }]]), samples };
  }

  async train(round: number, base: NamedTensors | null, signal: AbortSignal) {
    await this.clock.allApplied(round - 1, signal);
    const start = performance.now();
    const tensors = addDelta(base ?? this.initial, (this.k + 1) * 1e-3);
    this.clock.trained(round, start, performance.now());
    return { tensors, samples: (await this.stats()).samples, metrics: {} };
  }

  async append(chain: CommitRecord[]) {
    this.log.push(...chain);
  }

  async vote(round: number, hash: string) {
    if (!this.votes.has(round)) this.votes.set(round, hash);
    return this.votes.get(round)!;
  }

  async adopt(round: number) {
    this.clock.applied(round);
  }

  async read(fromRound: number): Promise<CommitRecord[]> {
    return this.log.filter((c) => c.round >= fromRound);
  }
}

// ---- bytes on the TCP sockets, attributed to the host whose async context opened or accepted them ----
// (AsyncLocalStorage stays on for the whole run, so reconnects are attributed too; on Node 20 its promise hooks
// cost ~2 % CPU.)

class WireMeter {
  readonly owner = new AsyncLocalStorage<number>();
  private readonly sockets: { socket: Socket; k: number | undefined }[] = [];
  private readonly onSocket = (m: unknown) =>
    this.sockets.push({ socket: (m as { socket: Socket }).socket, k: this.owner.getStore() });

  start(): void {
    for (const ch of ['net.client.socket', 'net.server.socket']) diagnostics.subscribe(ch, this.onSocket);
  }

  stop(): void {
    this.owner.disable();
    for (const ch of ['net.client.socket', 'net.server.socket']) diagnostics.unsubscribe(ch, this.onSocket);
  }

  written(peers: number): number[] {
    const out = new Array<number>(peers).fill(0);
    for (const s of this.sockets) if (s.k !== undefined) out[s.k] += s.socket.bytesWritten;
    return out;
  }

  unattributed(): number {
    return this.sockets.filter((s) => s.k === undefined).length;
  }
}

// ---- one swarm per size ----

interface Site {
  peer: SwarmPeer;
  sentBy: Record<TrafficChannel, number>;
  sentMessages: { n: number };
}

interface Snapshot {
  sent: number[];
  sentBy: Record<TrafficChannel, number[]>;
  messages: number[];
  wire: number[];
  cpuMs: number;
}

/** What went wrong or needed recovery, counted by kind: printed under the table, never hidden. */
class Incidents {
  readonly counts = new Map<string, number>();
  /** Off while meshing and stopping: disconnects then are not round costs. */
  recording = false;

  /** Every debug line of every peer goes here too (the secure bench times the round's steps from them). */
  constructor(private readonly onDebug?: (fields: object, msg?: string) => void) {}

  add(what: string, n = 1): void {
    if (this.recording) this.counts.set(what, (this.counts.get(what) ?? 0) + n);
  }

  log(): PeerLog {
    const note = (level: string) => (fields: object, msg?: string) => {
      const reason = (fields as { reason?: unknown }).reason;
      this.add(`${level}: ${msg ?? ''}${reason === undefined ? '' : ` (${String(reason)})`}`);
    };
    const debug = (fields: object, msg?: string) => this.onDebug?.(fields, msg);
    return { debug, info: () => {}, warn: note('warn'), error: note('error') };
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Swarm {
  hosts: SwarmHost[];
  members: string[];
  psk: Uint8Array;
  keys: PrivateKey[];
}

/** Hosts 0..n-1, host k bootstrapping to the ones before it, each created inside its meter context. */
async function startHosts(swarm: Swarm, meter: WireMeter, incidents: Incidents): Promise<void> {
  const { hosts, keys, members, psk } = swarm;
  for (let k = 0; k < keys.length; k++) {
    const bootstrap = hosts.map((h) => h.addrs()[0]);
    const onPeer = (_peer: string, event: string) =>
      event === 'disconnect' && incidents.add('libp2p peer:disconnect');
    await meter.owner.run(k, async () => {
      const init = { privateKey: keys[k], listen: ['/ip4/127.0.0.1/tcp/0'], psk, swarmId: SWARM_ID, members };
      const host = await createSwarmHost({ ...init, bootstrap, onPeer });
      hosts.push(host);
      await host.start();
    });
  }
  // Up to 5 hosts: a full mesh. Beyond, gossipsub keeps 4–12 mesh peers each (D_low = 4), so wait for that.
  const meshOf = Math.min(hosts.length - 1, 4);
  const meshed = (a: SwarmHost) =>
    (['control', 'updates'] as const).every((t) => a.meshPeers(t).length >= meshOf);
  await waitFor(() => hosts.every(meshed), 30_000, `a gossip mesh of ${meshOf} peers at every host`);
}

function startPeers(
  swarm: Swarm,
  size: SizePlan,
  clock: RoundClock,
  initial: NamedTensors,
  incidents: Incidents,
  secure: boolean,
  extra: Partial<SwarmPeerInit> = {},
): Site[] {
  const { hosts, keys, members, psk } = swarm;
  const log = incidents.log();
  return hosts.map((host, k) => {
    const sentBy: Record<TrafficChannel, number> = { updates: 0, control: 0, direct: 0 };
    const sentMessages = { n: 0 };
    const work = new BenchWork(k, initial, clock);
    const init: SwarmPeerInit = {
      ...{ swarmId: SWARM_ID, self: members[k], members, minPeers: hosts.length, maxRounds: size.rounds },
      ...{ roundDeadlineMs: size.roundDeadlineMs, commitTimeoutMs: size.commitTimeoutMs, resume: null },
      ...{ swarmSecret: pskSecret(psk), sign: signWith(keys[k]), verify: verifyFromPeerId },
      ...(secure ? { secure: SECURE_DEFAULTS } : {}),
      ...extra,
    };
    const onEvent = (e: SwarmPeerEvent) => {
      if (e.type === 'bytes' && e.direction === 'out') {
        sentBy[e.topic] += e.n;
        sentMessages.n++;
      }
      if (e.type === 'peer' && !e.connected) incidents.add('peer marked lost (no hello for 5 hello periods)');
    };
    return {
      peer: createSwarmPeer(init, { host, work, roundLog: work, log, tickMs: TICK_MS, onEvent }),
      sentBy,
      sentMessages,
    };
  });
}

export interface SizePlan {
  sizeMb: number;
  rounds: number;
  roundDeadlineMs: number;
  commitTimeoutMs: number;
  waitMs: number;
}

export async function runSize(
  peers: number,
  size: SizePlan,
  secure = false,
  onDebug?: (fields: object, msg?: string) => void,
  /** Peer settings to measure against the defaults (e.g. certQuorum). */
  extra: Partial<SwarmPeerInit> = {},
): Promise<Omit<SizeResult, 'mergeMs'>> {
  const initial = makeModel(size.sizeMb * 1e6);
  const updateBytes = encodeTensors(initial).length;
  const keys = await Promise.all(Array.from({ length: peers }, () => generateIdentity()));
  const swarm: Swarm = { hosts: [], keys, members: keys.map(peerIdOf), psk: createSwarmPsk() };
  const incidents = new Incidents(onDebug);
  const meter = new WireMeter();
  const snapshots = new Map<number, Snapshot>();
  let sites: Site[] = [];
  let peakRss = 0;
  const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const rssTimer = setInterval(sampleRss, 250);
  const clock = new RoundClock(peers, (round) => {
    sampleRss();
    const cpu = process.cpuUsage();
    snapshots.set(round, {
      sent: sites.map((s) => s.peer.status().bytesSent),
      sentBy: Object.fromEntries(
        CHANNELS.map((c) => [c, sites.map((s) => s.sentBy[c])]),
      ) as Snapshot['sentBy'],
      messages: sites.map((s) => s.sentMessages.n),
      wire: meter.written(peers),
      cpuMs: (cpu.user + cpu.system) / 1000,
    });
  });
  const started = performance.now();
  meter.start();
  try {
    await startHosts(swarm, meter, incidents);
    incidents.recording = true;
    sites = startPeers(swarm, size, clock, initial, incidents, secure, extra);
    await Promise.all(sites.map((s, k) => meter.owner.run(k, () => s.peer.start()))); // its direct fetches may dial
    await Promise.all(sites.map((s) => s.peer.waitForRound(size.rounds, size.waitMs)));
  } catch (err) {
    incidents.recording = true;
    incidents.add(`stopped waiting: ${(err as Error).message}`);
  } finally {
    incidents.recording = false;
    for (const s of [...sites].reverse()) await s.peer.stop();
    for (const h of [...swarm.hosts].reverse()) await h.stop();
    meter.stop();
    clearInterval(rssTimer);
  }
  incidents.recording = true;
  for (const s of sites)
    for (const [reason, n] of Object.entries(s.peer.status().dropped)) incidents.add(`dropped: ${reason}`, n);
  if (meter.unattributed() > 0)
    incidents.add('sockets not attributed to a host (TCP bytes undercounted)', meter.unattributed());
  const notes = [
    `${((performance.now() - started) / 1000).toFixed(1)} s for hosts, round 0 and ${size.rounds} rounds`,
  ];
  for (const [what, n] of incidents.counts) notes.push(`${what} × ${n}`);
  return {
    sizeMb: size.sizeMb,
    updateBytes,
    rounds: roundSamples(clock, snapshots, size.rounds),
    appliedAt: clock.allAppliedAt,
    peakRssMb: peakRss / 2 ** 20,
    notes,
  };
}

function roundSamples(clock: RoundClock, snaps: Map<number, Snapshot>, rounds: number): RoundSample[] {
  const out: RoundSample[] = [];
  for (let r = 1; r <= rounds && snaps.has(r); r++) {
    const [a, b] = [snaps.get(r - 1)!, snaps.get(r)!];
    const diff = (x: number[], y: number[]) => y.map((v, i) => v - x[i]);
    const trainings = clock.trainings.get(r) ?? [];
    out.push({
      wallMs: clock.allAppliedAt.get(r)! - clock.allAppliedAt.get(r - 1)!,
      trainMs: unionMs(trainings),
      perPeerTrainMs: median(trainings.map((t) => t.end - t.start)),
      sent: diff(a.sent, b.sent),
      sentBy: Object.fromEntries(
        CHANNELS.map((c) => [c, diff(a.sentBy[c], b.sentBy[c])]),
      ) as Snapshot['sentBy'],
      messages: diff(a.messages, b.messages),
      wire: diff(a.wire, b.wire),
      cpuMs: b.cpuMs - a.cpuMs,
    });
  }
  return out;
}

/** Median ms of fedAvg over `peers` contributions of this model (the site deltas make them differ). */
function timeMerge(sizeMb: number, peers: number, runs: number): number {
  const model = makeModel(sizeMb * 1e6);
  const contributions = Array.from({ length: peers }, (_, k) => ({
    peerId: `peer-${k}`,
    samples: 100 + k,
    tensors: addDelta(model, (k + 1) * 1e-3),
  }));
  fedAvg(contributions); // warm-up: JIT
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fedAvg(contributions);
    times.push(performance.now() - t0);
  }
  return median(times);
}

// ---- numbers and the table ----

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

function unionMs(intervals: { start: number; end: number }[]): number {
  let total = 0;
  let reach = -Infinity;
  for (const { start, end } of [...intervals].sort((a, b) => a.start - b.start)) {
    total += Math.max(0, end - Math.max(start, reach));
    reach = Math.max(reach, end);
  }
  return total;
}

function printTimes(r: SizeResult): void {
  const s = r.rounds;
  const wall = median(s.map((x) => x.wallMs));
  const train = median(s.map((x) => x.trainMs));
  const overhead = median(s.map((x) => x.wallMs - x.trainMs));
  const cpu = median(s.map((x) => x.cpuMs / x.wallMs));
  const cells = [
    `${r.sizeMb} MB`.padEnd(6),
    String(s.length).padStart(6),
    `${(wall / 1000).toFixed(2)} s`.padStart(10),
    `${train.toFixed(0)} ms`.padStart(15),
    `${(overhead / 1000).toFixed(2)} s`.padStart(9),
    `${(overhead / train).toFixed(0)}x`.padStart(9),
    `${(overhead / r.sizeMb).toFixed(0)}`.padStart(12),
    `${cpu.toFixed(2)}`.padStart(8),
  ];
  console.log(`  ${cells.join(' | ')}`);
}

function printBytes(r: SizeResult, peers: number): void {
  const perUpdate = (bytes: (x: RoundSample) => number[], f: (v: number[]) => number) =>
    median(r.rounds.map((x) => f(bytes(x)) / r.updateBytes)).toFixed(2);
  const both = (bytes: (x: RoundSample) => number[]) =>
    `${perUpdate(bytes, mean)} / ${perUpdate(bytes, (v) => Math.max(...v))}`;
  const cells = [
    `${r.sizeMb} MB`.padEnd(6),
    `${r.updateBytes}`.padStart(10),
    both((x) => x.sent).padStart(17),
    both((x) => x.wire).padStart(17),
    `${r.mergeMs.toFixed(1)} ms`.padStart(10),
    `${((peers * r.updateBytes) / (r.mergeMs / 1000) / 1e9).toFixed(2)}`.padStart(6),
  ];
  console.log(`  ${cells.join(' | ')}`);
}

function printDetails(r: SizeResult): void {
  const by = CHANNELS.map(
    (c) => `${c} ${median(r.rounds.map((x) => mean(x.sentBy[c]) / r.updateBytes)).toFixed(3)}`,
  );
  const perPeer = median(r.rounds.map((x) => x.perPeerTrainMs));
  const walls = r.rounds.map((x) => (x.wallMs / 1000).toFixed(2)).join(', ');
  console.log(
    `  ${r.sizeMb} MB: ${Math.ceil(r.updateBytes / MAX_CHUNK_BYTES)} chunks per update; train() ${perPeer.toFixed(0)} ms per peer; round walls ${walls} s; peak RSS ${r.peakRssMb.toFixed(0)} MiB`,
  );
  console.log(`    app bytes sent / update by channel (mean over peers): ${by.join(', ')}`);
  console.log(`    ${r.notes.join('; ')}`);
}

export async function runSwarmBench(options: SwarmBenchOptions = {}): Promise<void> {
  const peers = options.peers ?? 5;
  const sizes = options.sizesMb ?? [1, 10, 100];
  const rounds = options.rounds ?? [5, 3, 1];
  const plans = sizes.map((sizeMb, i) => plan(sizeMb, rounds[i] ?? 1));
  console.log(
    `\n## Swarm round cost: ${peers} swarm peers in this one process (2 cores), TCP on 127.0.0.1 + PSK + noise + yamux, gossipsub, ${options.secure ? 'secure aggregation (masked FedAvg)' : 'FedAvg'}`,
  );
  console.log(
    `  chunk ${MAX_CHUNK_BYTES} B, tick ${TICK_MS} ms, minPeers ${peers}; per size: rounds (after the statistics round 0), roundDeadlineMs / commitTimeoutMs:`,
  );
  console.log(
    `  ${plans.map((p) => `${p.sizeMb} MB: ${p.rounds} rounds, ${p.roundDeadlineMs} / ${p.commitTimeoutMs}`).join('; ')}`,
  );
  // Merges first, on a quiet process; then one fresh swarm per size.
  const mergeMs = sizes.map((sizeMb) =>
    timeMerge(sizeMb, peers, options.mergeRuns ?? (sizeMb >= 100 ? 3 : 7)),
  );
  const results: SizeResult[] = [];
  for (const [i, p] of plans.entries())
    results.push({ ...(await runSize(peers, p, options.secure)), mergeMs: mergeMs[i] });
  console.log(
    '\n  size   | rounds | round wall | train (5, serial) | overhead | ovh/train | overhead ms/MB | CPU/wall',
  );
  for (const r of results) printTimes(r);
  console.log('\n  size   | update B   | app sent/upd mean/max | TCP sent/upd mean/max | fedAvg     | GB/s');
  for (const r of results) printBytes(r, peers);
  console.log('');
  for (const r of results) printDetails(r);
  console.log(
    '  round wall: all peers applied round r−1 → all applied r (training waits for that barrier); train: time some',
  );
  console.log(
    '  peer spent in train() (one JS thread, so the 5 run one after another); overhead = wall − train; medians over rounds.',
  );
  console.log(
    '  app sent: SwarmPeerStatus.bytesSent per peer per round ÷ update size; 1.00 = one upload per peer — a gossip',
  );
  console.log(
    "  publish is counted once, not per recipient or forward. TCP sent: bytes written on each host's sockets (PSK, noise,",
  );
  console.log(
    `  yamux, gossipsub forwards included); the floor is ${peers - 1} (each of the other ${peers - 1} peers needs one copy of every update).`,
  );
  console.log(`  fedAvg: ${peers} contributions merged directly, GB/s = ${peers} × update bytes ÷ time.`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await runSwarmBench();
