import { waitFor } from '../helpers/wait.js';
import type { NamedTensors } from '../../src/core/index.js';
import {
  createSwarmHost,
  createSwarmPeer,
  createSwarmPsk,
  decodeMessage,
  generateIdentity,
  peerIdOf,
  pskSecret,
  signWith,
  verifyFromPeerId,
  type CommitRecord,
  type PrivateKey,
  type RoundCommit,
  type RoundLog,
  type RoundWork,
  type SwarmHost,
  type SwarmPeer,
  type SwarmPeerComponents,
  type SwarmPeerEvent,
  type SwarmPeerInit,
} from '../../src/swarm/index.js';

/*
 * Real in-process swarms for the swarm peer tests: libp2p hosts on 127.0.0.1 (port 0) with a real PSK and
 * identities, and a deterministic RoundWork in place of tfjs: site k's statistics are fixed numbers, its
 * "training" adds (k+1)·0.01 to every weight of its base, and it reports k+10 samples.
 */
export const SWARM = 'peer-test';

export interface Applied extends CommitRecord {
  merged: NamedTensors;
  commit: RoundCommit;
}

export interface WorkHooks {
  /** Awaited before training `round`; a promise that never settles holds the round (aborted on stop). */
  beforeTrain?(round: number, signal: AbortSignal): Promise<void> | void;
  /** Awaited before computing statistics. */
  beforeStats?(): Promise<void> | void;
  afterApply?(round: number): void;
  /** Rewrites the weights this site sends (an attacking member). */
  poison?(round: number, w: Float32Array): Float32Array;
  /** Rewrites the sample count this site claims for a training round (an inflating member). */
  samples?(round: number, honest: number): number;
}

/** Site k's deterministic work and its round log (kept across a restart by passing the same object). */
export class TestWork implements RoundWork, RoundLog {
  readonly trained: number[] = [];
  /** The round log: what `append` was given, a segment replacing the entries from its first round on. */
  readonly log: CommitRecord[] = [];
  /** The votes this site gave, by round (kept across a restart, like the store's). */
  readonly votes = new Map<number, string>();

  constructor(
    readonly k: number,
    readonly size: number,
    readonly members: string[],
    readonly hooks: WorkHooks = {},
    /** The store's log: pass an earlier one to restart a site. */
    readonly applied: Applied[] = [],
  ) {}

  async stats() {
    await this.hooks.beforeStats?.();
    const k = this.k;
    const tensors: NamedTensors = new Map([
      ['count', { shape: [1], data: Float32Array.of(k + 10) }],
      ['sum', { shape: [3], data: Float32Array.of(k, 2 * k, 3 * k) }],
    ]);
    return { tensors, samples: k + 10 };
  }

  async train(round: number, base: NamedTensors | null, signal: AbortSignal) {
    await this.hooks.beforeTrain?.(round, signal);
    const from = base?.get('w')?.data ?? initialWeights(this.size);
    const honest = from.map((x) => x + (this.k + 1) * 0.01);
    const w = this.hooks.poison?.(round, honest) ?? honest;
    this.trained.push(round);
    const tensors: NamedTensors = new Map([['w', { shape: [this.size], data: w }]]);
    const samples = this.hooks.samples?.(round, this.k + 10) ?? this.k + 10;
    return { tensors, samples, metrics: { trainLoss: 1 / round, localValAccuracy: 0.5 } };
  }

  async append(chain: CommitRecord[]): Promise<void> {
    const from = chain[0].round;
    const before = this.log.find((e) => e.round === from - 1);
    if (from > 0 && before?.hash !== chain[0].prevHash) throw new Error(`round ${from} does not chain`);
    this.log.splice(this.log.findIndex((e) => e.round >= from) >>> 0, Infinity, ...chain);
  }

  async adopt(round: number, merged: NamedTensors, commit: CommitRecord) {
    const decoded = decodeMessage(commit.bytes, {
      swarmId: SWARM,
      members: new Set(this.members),
      maxBytes: 1 << 20,
    });
    if (!decoded.ok || decoded.msg.type !== 'commit')
      throw new Error('apply got commit bytes that do not decode');
    this.applied.push({
      ...commit,
      merged,
      commit: decoded.msg.body.commit,
    });
    this.hooks.afterApply?.(round);
  }

  async read(fromRound: number): Promise<CommitRecord[]> {
    return this.log.filter((a) => a.round >= fromRound);
  }

  async vote(round: number, hash: string): Promise<string> {
    if (!this.votes.has(round)) this.votes.set(round, hash);
    return this.votes.get(round)!;
  }

  /** The same site after a restart: its store (applied commits and round log) kept, its memory not. */
  restarted(hooks: WorkHooks = {}): TestWork {
    const next = new TestWork(this.k, this.size, this.members, hooks, [...this.applied]);
    next.log.push(...this.log);
    this.votes.forEach((hash, round) => next.votes.set(round, hash));
    return next;
  }

  last(): Applied | undefined {
    return this.applied[this.applied.length - 1];
  }
}

/** The weights every site starts from: w[i] = i / 1000. */
export function initialWeights(size: number): Float32Array {
  return Float32Array.from({ length: size }, (_, i) => i / 1000);
}

export interface Site {
  k: number;
  key: PrivateKey;
  peerId: string;
  host: SwarmHost;
  work: TestWork;
  peer: SwarmPeer;
  events: SwarmPeerEvent[];
  warnings: { fields: object; msg?: string }[];
}

export interface SwarmOptions {
  size?: number;
  minPeers?: number;
  maxRounds?: number | null;
  roundDeadlineMs?: number;
  commitTimeoutMs?: number;
  tickMs?: number;
}

/** Warnings and errors are kept for assertions; SWARM_TEST_LOG=1 prints every entry (for debugging). */
function testLog(k: number, warnings: Site['warnings']): SwarmPeerComponents['log'] {
  const print = process.env.SWARM_TEST_LOG === '1';
  const entry = (level: string, keep: boolean) => (fields: object, msg?: string) => {
    if (keep) warnings.push({ fields, msg });
    if (print) console.log(Date.now() % 100_000, `site${k}`, level, msg, fields);
  };
  return {
    debug: entry('debug', false),
    info: entry('info', false),
    warn: entry('warn', true),
    error: entry('error', true),
  };
}

/** Stoppers for everything a test started, run in reverse by `stopAll` (call it in afterEach). */
const stoppers: (() => Promise<void>)[] = [];

export async function stopAll(): Promise<void> {
  for (const stop of stoppers.splice(0).reverse()) await stop();
}

export class TestSwarm {
  readonly sites: Site[] = [];
  readonly hosts: SwarmHost[] = [];

  private constructor(
    readonly keys: PrivateKey[],
    readonly psk: Uint8Array,
    readonly o: Required<SwarmOptions>,
  ) {}

  static async create(n: number, options: SwarmOptions = {}): Promise<TestSwarm> {
    const keys = await Promise.all(Array.from({ length: n }, () => generateIdentity()));
    const o = {
      ...{ size: 1000, minPeers: n, maxRounds: null, roundDeadlineMs: 10_000, commitTimeoutMs: 1500 },
      ...{ tickMs: 100, ...options },
    };
    return new TestSwarm(keys, createSwarmPsk(), o);
  }

  get members(): string[] {
    return this.keys.map(peerIdOf);
  }

  /** A started host for site k, dialling the hosts already up; `wrap` may intercept what it does. */
  async host(k: number, wrap: (h: SwarmHost) => SwarmHost = (h) => h): Promise<SwarmHost> {
    const bootstrap = this.hosts.filter((h, i) => h !== undefined && i !== k).map((h) => h.addrs()[0]);
    const host = await createSwarmHost({
      privateKey: this.keys[k],
      listen: ['/ip4/127.0.0.1/tcp/0'],
      psk: this.psk,
      swarmId: SWARM,
      members: this.members,
      bootstrap,
    });
    stoppers.push(() => host.stop());
    await host.start();
    this.hosts[k] = host;
    return wrap(host);
  }

  /** Hosts for sites 0..n-1 (site k's host through wraps[k]), all connected and meshed, then every peer. */
  async startAll(
    opts: {
      wraps?: ((h: SwarmHost) => SwarmHost)[];
      hooks?: WorkHooks[];
      init?: Partial<SwarmPeerInit>;
      roundWork?: (work: TestWork) => RoundWork;
    } = {},
  ): Promise<Site[]> {
    const hosts: SwarmHost[] = [];
    for (let k = 0; k < this.keys.length; k++) hosts.push(await this.host(k, opts.wraps?.[k]));
    await this.meshReady(this.hosts);
    return Promise.all(
      hosts.map((host, k) =>
        this.start(k, {
          host,
          hooks: { beforeStats: this.seesAll(k), ...opts.hooks?.[k] },
          init: opts.init,
          roundWork: opts.roundWork,
        }),
      ),
    );
  }

  /** Starts site k's peer on `host` (created if absent); `init` overrides, e.g. resume. */
  async start(
    k: number,
    opts: {
      host?: SwarmHost;
      work?: TestWork;
      hooks?: WorkHooks;
      init?: Partial<SwarmPeerInit>;
      /** What the peer drives instead of the work itself (a wrapper around it); the work stays the round log. */
      roundWork?: (work: TestWork) => RoundWork;
    } = {},
  ): Promise<Site> {
    const host = opts.host ?? (await this.host(k));
    const work = opts.work ?? new TestWork(k, this.o.size, this.members, opts.hooks);
    const events: SwarmPeerEvent[] = [];
    const warnings: Site['warnings'] = [];
    const log = testLog(k, warnings);
    const init: SwarmPeerInit = {
      swarmId: SWARM,
      self: peerIdOf(this.keys[k]),
      members: this.members,
      minPeers: this.o.minPeers,
      roundDeadlineMs: this.o.roundDeadlineMs,
      commitTimeoutMs: this.o.commitTimeoutMs,
      maxRounds: this.o.maxRounds,
      swarmSecret: pskSecret(this.psk),
      sign: signWith(this.keys[k]),
      verify: verifyFromPeerId,
      resume: null,
      ...opts.init,
    };
    const peer = createSwarmPeer(init, {
      host,
      work: opts.roundWork?.(work) ?? work,
      roundLog: work,
      log,
      tickMs: this.o.tickMs,
      onEvent: (e) => events.push(e),
    });
    stoppers.push(() => peer.stop());
    const site = { k, key: this.keys[k], peerId: init.self, host, work, peer, events, warnings };
    this.sites[k] = site;
    await peer.start();
    return site;
  }

  /** Waits until every pair of the given hosts is connected and in each other's gossip mesh. */
  async meshReady(hosts: SwarmHost[]): Promise<void> {
    for (const a of hosts) {
      for (const b of hosts.filter((h) => h !== a)) {
        for (const topic of ['control', 'updates'] as const) {
          await waitFor(() => a.meshPeers(topic).includes(b.peerId), {
            timeoutMs: 15_000,
            what: `${b.peerId} in ${a.peerId}'s ${topic} mesh`,
          });
        }
      }
    }
  }

  /** Statistics wait until this site has heard from every member, so round 0 merges all of them. */
  seesAll(k: number): WorkHooks['beforeStats'] {
    return this.sees(k, this.members);
  }

  /** Statistics wait until this site has heard from every one of `ids` (the honest ones, beside an attacker). */
  sees(k: number, ids: readonly string[]): WorkHooks['beforeStats'] {
    return async () => {
      await waitFor(
        () =>
          this.sites[k]?.peer
            .status()
            .members.every((m) => !ids.includes(m.peerId) || m.self || m.lastSeenMs !== null),
        {
          timeoutMs: 15_000,
          what: `site ${k} seeing ${ids.length === this.members.length ? 'every member' : 'the other honest sites'}`,
        },
      );
    };
  }
}
