import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { modelKeyFromBytes, writeKeyFile, type ModelKey } from '../../src/inr/index.js';
import {
  addMember,
  fetchStatus,
  initSite,
  launchSite,
  loadSiteConfig,
  siteName,
  verifySiteLog,
  type LaunchedSite,
} from '../../src/node/index.js';
import { createRng } from '../../src/models/index.js';
import { openStore } from '../../src/storage/index.js';
import { createSwarmPsk, writePskFile } from '../../src/swarm/index.js';

/*
 * A swarm of real `swarmd start` daemons on loopback for the soak scripts, laid out like writeSwarmDir's
 * (key file, PSK, swarm.yaml with every site's real peer id from initSite, one config per site) but on a
 * small synthetic data set per site: the soak is about restarts and messages, and a small model lets a
 * shared machine run many rounds and restarts (the TCGA set takes tens of seconds per start under load).
 */
export const CLASSES = ['A', 'B', 'C'];
export const FEATURES = 16;
const ROWS = 150;

/** Three Gaussian blobs in FEATURES dimensions, ROWS rows, seeded. */
function syntheticCsv(rng: () => number): string {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const header = ['sample_id', ...Array.from({ length: FEATURES }, (_, j) => `f${j}`), 'label'];
  const rows = Array.from({ length: ROWS }, (_, r) => {
    const c = r % CLASSES.length;
    const x = Array.from({ length: FEATURES }, (_, j) => (j % CLASSES.length === c ? 2 : 0) + gauss());
    return [`s${r}`, ...x.map((v) => v.toFixed(4)), CLASSES[c]];
  });
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}
export interface SoakSwarm {
  dir: string;
  key: ModelKey;
  swarmPath: string;
  configs: string[];
  names: string[];
  sites: (LaunchedSite | null)[];
  /** Starts site i, dialling the sites that are up. */
  launch(i: number): Promise<LaunchedSite>;
  status(i: number, timeoutMs?: number): ReturnType<typeof fetchStatus>;
  /** Sets a swarm.yaml key (read by a daemon when it starts). */
  setSwarmKey(key: string, value: unknown): Promise<void>;
  stopAll(graceMs?: number): Promise<void>;
}

export async function createSoakSwarm(o: {
  sites: number;
  seed: number;
  swarm: Record<string, unknown>;
  /** Members that are not sites (a fuzzing peer): name → peer id, listed in swarm.yaml before any start. */
  extraMembers?: Record<string, string>;
  /** swarm.yaml `model` keys over the default (an MLP). */
  model?: Record<string, unknown>;
  /** Each site bootstraps to one address only (the first site up), as the operator guide says; default: all up. */
  oneBootstrap?: boolean;
  /** How long one `swarmd start` may take to listen (default 120 s; many daemons starting at once take longer). */
  launchTimeoutMs?: number;
}): Promise<SoakSwarm> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-soak-'));
  const key = modelKeyFromBytes(createHash('sha256').update(`swarmd soak key ${o.seed}`).digest());
  await writeKeyFile(join(dir, 'site.key'), key);
  await writePskFile(join(dir, 'swarm.psk'), createSwarmPsk());
  const swarmPath = join(dir, 'swarm.yaml');
  const model = { arch: 'mlp', classNames: CLASSES, seed: o.seed, ...o.model };
  await writeFile(
    swarmPath,
    stringify({ swarmId: 'soak', pskFile: 'swarm.psk', members: [], ...o.swarm, model }),
  );
  const names = Array.from({ length: o.sites }, (_, i) => siteName(i));
  const configs: string[] = [];
  for (const [i, name] of names.entries()) {
    const data = join(dir, `${name}.csv`);
    await writeFile(data, syntheticCsv(createRng(o.seed * 1000 + i)));
    const config = join(dir, `${name}.yaml`);
    await writeFile(
      config,
      stringify({
        ...{ site: name, dataDir: join(dir, 'db', name), keyFile: 'site.key', swarmConfig: 'swarm.yaml' },
        ...{ data: { path: data }, listen: ['/ip4/127.0.0.1/tcp/0'], http: { host: '127.0.0.1', port: 0 } },
        ...{ training: { epochsPerRound: 1 }, log: { level: 'warn', pretty: false }, backend: 'cpu' },
      }),
    );
    await addMember(swarmPath, name, (await initSite({ configPath: config })).peerId);
    configs.push(config);
  }
  for (const [name, peerId] of Object.entries(o.extraMembers ?? {})) await addMember(swarmPath, name, peerId);
  const sites: (LaunchedSite | null)[] = names.map(() => null);
  const up = () =>
    sites.filter(
      (s): s is LaunchedSite => s !== null && s.proc.exitCode === null && s.proc.signalCode === null,
    );
  return {
    dir,
    key,
    swarmPath,
    configs,
    names,
    sites,
    async launch(i) {
      const others = up().filter((s) => s !== sites[i]);
      const bootstrap = (o.oneBootstrap ? others.slice(0, 1) : others).flatMap((s) => s.addrs.slice(0, 1));
      const s = await launchSite(configs[i], { bootstrap, timeoutMs: o.launchTimeoutMs ?? 120_000 });
      sites[i] = s;
      return s;
    },
    status: (i, timeoutMs = 5000) => fetchStatus(sites[i]!.statusUrl, { timeoutMs }),
    async setSwarmKey(k, value) {
      const doc = parse(await readFile(swarmPath, 'utf8')) as Record<string, unknown>;
      await writeFile(swarmPath, stringify({ ...doc, [k]: value }));
    },
    async stopAll(graceMs = 15_000) {
      await Promise.all(sites.map((s) => s?.stop(graceMs)));
    },
  };
}

/** Every site's last `chars` of log, for a soak that failed: what each daemon said last. */
export function logTails(swarm: SoakSwarm, chars: number): string {
  return swarm.sites.map((s, i) => `--- ${swarm.names[i]} log tail\n${s?.output().slice(-chars)}`).join('\n');
}

/** Polls until `cond` holds; throws naming `what` after `timeoutMs`. Status errors count as "not yet". */
export async function until<T>(
  cond: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  what: string,
  /** Pause between checks: a check that polls every site's status is load on the machine it measures. */
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond().catch(() => null);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`soak: timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

export { createRng };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stops every site, sets the swarm's last round to the highest head + 2, starts them all again and waits
 * until each has applied that round: then their logs can be compared end to end (a fork left by a stop in
 * the middle of a round is repaired on the way). Returns the last round.
 */
export async function finishTogether(swarm: SoakSwarm, timeoutMs: number): Promise<number> {
  // Not while a site waits for votes on a commit it voted for: stopping every site then leaves each locked
  // on a commit no one holds after the restart (a known limit: see the README's commit certificates).
  const phases = () => Promise.all(swarm.configs.map((_, i) => swarm.status(i).then((s) => s.phase)));
  await until(async () => !(await phases()).includes('applying'), 30_000, 'no site waiting for votes').catch(
    () => undefined,
  );
  await swarm.stopAll();
  const heads = await Promise.all(swarm.configs.map(headRound));
  const finalRound = Math.max(...heads) + 2;
  await swarm.setSwarmKey('rounds', finalRound);
  for (let i = 0; i < swarm.configs.length; i++) await swarm.launch(i);
  const all = () => Promise.all(swarm.configs.map((_, i) => swarm.status(i)));
  await until(
    async () => (await all()).every((s) => s.finishedAfterRound === finalRound),
    timeoutMs,
    `every site finishing round ${finalRound}`,
  );
  await swarm.stopAll();
  return finalRound;
}

async function headRound(config: string): Promise<number> {
  const store = await openStore((await loadSiteConfig(config)).dataDir, { mustExist: true });
  try {
    return (await store.lastLogEntry())?.round ?? -1;
  } finally {
    await store.close();
  }
}

export interface LogCheck {
  /** Every site's `swarmd log verify` verdict. */
  verdicts: string[];
  /** Rounds in each site's log. */
  rounds: number[];
  /** True when every site's log holds the same commit hashes, round for round. */
  equal: boolean;
}

/** After the daemons stopped: verifies every site's round log and compares them entry by entry. */
export async function checkLogs(swarm: SoakSwarm): Promise<LogCheck & { ok: boolean }> {
  const verdicts: string[] = [];
  const hashes: string[][] = [];
  let ok = true;
  for (const c of swarm.configs) {
    const v = await verifySiteLog(c);
    ok &&= v.ok;
    verdicts.push(v.line);
    const store = await openStore((await loadSiteConfig(c)).dataDir, { mustExist: true });
    hashes.push((await store.getLog(0)).map((e) => e.hash));
    await store.close();
  }
  const shortest = Math.min(...hashes.map((h) => h.length));
  const equal = hashes.every((h) => h.slice(0, shortest).join() === hashes[0].slice(0, shortest).join());
  return { ok: ok && equal, verdicts, rounds: hashes.map((h) => h.length), equal };
}
