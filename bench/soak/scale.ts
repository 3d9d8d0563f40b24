import { loadavg } from 'node:os';
import type { StatusSnapshot } from '../../src/node/status/index.js';
import { CLASSES, FEATURES, checkLogs, logTails, createSoakSwarm, until } from './swarm.js';

/*
 * The scale soak (issue 20): `sites` real `swarmd start` daemons, each configured like `swarmd init` writes
 * it and started with one `--bootstrap` address (the first site's), a tiny linear model, minPeers = sites
 * (plain) or sites − 1 (secure: a site killed after it dealt its shares takes its masked vector with it, so
 * that round can only finish without it, by the dropout path; with minPeers = sites it never finishes).
 * It waits for every site to see every member live and for `rounds` commits, checks that no site's status
 * contradicts itself, SIGKILLs one site and restarts it (it must rejoin: the swarm commits again with it),
 * then stops everything and verifies the round logs are valid and equal.
 */
export interface ScaleSoakOptions {
  sites: number;
  aggregation: 'plain' | 'secure';
  /** Rounds to commit before the kill (default 2). */
  rounds?: number;
  /** Default: sites (plain), sites − 1 (secure). */
  minPeers?: number;
  /** A model of about this many MB (two hidden layers) instead of `arch: linear`, to measure bytes per round. */
  modelMb?: number;
  seed?: number;
  say?: (line: string) => void;
}

export interface ScaleSoakResult {
  ok: boolean;
  problems: string[];
  sites: number;
  aggregation: string;
  minPeers: number;
  /** From the first launch until every site listened / saw every member live / applied round 0 / round 1. */
  launchedMs: number;
  allLiveMs: number;
  round0Ms: number;
  firstCommitMs: number;
  /** Contributors to the last round committed before the kill. */
  contributors: number;
  /** Bytes a site sent per steady round (its /metrics, mean over sites) and ÷ the update's float32 bytes. */
  sent: { perRoundMb: number; updateMb: number; ratio: number };
  /** Rounds committed after round 1 and the time they took (the steady rate). */
  steady: { rounds: number; msPerRound: number };
  /** The killed site: SIGKILL to caught up with the swarm, and to a round committed with it again. */
  rejoinMs: number;
  recommitMs: number;
  logVerdicts: string[];
  /** 1-minute load average at start and end of the run (the machine is shared). */
  load: { start: number; end: number };
  durationMs: number;
}

/** Between two status polls of every site: n status requests are themselves load on a 2-core machine. */
const POLL_MS = 3000;

/** Two hidden layers of h units between the soak's features and classes: its float32 weight count. */
function mlpWeights(h: number): number {
  return FEATURES * h + h + h * h + h + h * CLASSES.length + CLASSES.length;
}

/** The hidden width whose model is closest to `mb` MB of float32 weights. */
export function hiddenFor(mb: number): number {
  let h = 1;
  while (mlpWeights(h + 1) * 4 <= mb * 1e6) h++;
  return h;
}

/** Bytes each daemon has sent on every topic (its /metrics `swarmd_bytes_sent_total`). */
async function bytesSent(urls: string[]): Promise<number[]> {
  return Promise.all(
    urls.map(async (url) => {
      const res = await fetch(new URL('/metrics', url), { signal: AbortSignal.timeout(20_000) });
      const text = await res.text();
      let sum = 0;
      for (const m of text.matchAll(/^swarmd_bytes_sent_total\{[^}]*\} (\S+)$/gm)) sum += Number(m[1]);
      return sum;
    }),
  );
}

/** Daemons started at once: 30 node processes loading tfjs together on 2 cores take minutes to listen. */
const LAUNCH_BATCH = 5;

export async function runScaleSoak(o: ScaleSoakOptions): Promise<ScaleSoakResult> {
  const started = Date.now();
  const say = o.say ?? (() => {});
  const problems: string[] = [];
  const rounds = o.rounds ?? 2;
  const n = o.sites;
  const minPeers = o.minPeers ?? (o.aggregation === 'secure' ? n - 1 : n);
  const h = o.modelMb ? hiddenFor(o.modelMb) : 0;
  const hidden = { dense: h };
  const updateBytes = o.modelMb ? 4 * mlpWeights(h) : 4 * (FEATURES * CLASSES.length + CLASSES.length);
  const load = { start: loadavg()[0], end: 0 };
  const swarm = await createSoakSwarm({
    sites: n,
    seed: o.seed ?? 1,
    oneBootstrap: true,
    launchTimeoutMs: 600_000,
    model: o.modelMb
      ? { arch: 'layers', layers: [hidden, { activation: 'relu' }, hidden, { activation: 'relu' }] }
      : { arch: 'linear' },
    swarm: {
      ...{ minPeers, rounds: 1_000_000, aggregation: o.aggregation },
      // Generous for a loaded 2-core machine running n daemons; the README's 50-site advice explains them.
      ...{ roundDeadlineMs: 120_000 + 4_000 * n, commitTimeoutMs: 30_000 + 1_000 * n },
    },
  });
  // The last status each site answered (a loaded machine misses some polls), and progress once a minute.
  const latest: (StatusSnapshot | null)[] = swarm.names.map(() => null);
  let lastSaid = 0;
  const poll = async () => {
    const got = await Promise.allSettled(swarm.names.map((_, i) => swarm.status(i, 20_000)));
    got.forEach((g, i) => g.status === 'fulfilled' && (latest[i] = g.value));
    if (Date.now() - lastSaid > 60_000) {
      lastSaid = Date.now();
      const applied = latest.map((x) => x?.lastCommit?.round ?? -1);
      const live = latest.map((x) => x?.membersLive ?? 0);
      const links = latest.map((x) => x?.members.filter((m) => !m.self && m.connected).length ?? 0);
      say(
        `  ${Math.round((Date.now() - started) / 1000)} s, load ${loadavg()[0].toFixed(1)}: applied rounds ${applied.join(',')}; ` +
          `live ${live.join(',')}; links ${links.join(',')}; ${got.filter((g) => g.status === 'rejected').length} status polls unanswered`,
      );
    }
    return latest;
  };
  // Every wait polls at POLL_MS.
  const waitUntil = <T>(cond: () => Promise<T | null | undefined | false>, ms: number, what: string) =>
    until(cond, ms, what, POLL_MS);
  const everySite = (cond: (s: StatusSnapshot) => boolean) => async () =>
    (await poll()).every((x) => x !== null && cond(x));
  const applied = async (i: number) => (await swarm.status(i, 20_000)).lastCommit?.round ?? -1;
  try {
    await swarm.launch(0);
    for (let i = 1; i < n; i += LAUNCH_BATCH) {
      const batch = swarm.names.slice(i, i + LAUNCH_BATCH).map((_, k) => swarm.launch(i + k));
      await Promise.all(batch);
    }
    const launchedMs = Date.now() - started;
    say(`${n} daemons listening after ${launchedMs} ms (load ${loadavg()[0].toFixed(1)}) in ${swarm.dir}`);
    const minutes = 60_000;
    // The proof that every site joined from one bootstrap address: every member live at every site at once.
    await waitUntil(
      everySite((x) => x.membersLive === n),
      (10 + n) * minutes,
      'every member live at every site',
    );
    const allLiveMs = Date.now() - started;
    say(`all ${n} members live at every site after ${allLiveMs} ms (load ${loadavg()[0].toFixed(1)})`);
    await waitUntil(
      everySite((x) => (x.lastCommit?.round ?? -1) >= 0),
      (10 + n) * minutes,
      'round 0 applied at every site',
    );
    const round0Ms = Date.now() - started;
    say(`round 0 applied everywhere after ${round0Ms} ms (load ${loadavg()[0].toFixed(1)})`);
    await waitUntil(
      everySite((x) => (x.lastCommit?.round ?? -1) >= 1),
      (10 + n) * minutes,
      'round 1 applied at every site',
    );
    const firstCommitMs = Date.now() - started;
    const steadyFrom = Date.now();
    const urls = swarm.sites.map((x) => x!.statusUrl);
    const sentFrom = await bytesSent(urls);
    say(`round 1 applied everywhere after ${firstCommitMs} ms (load ${loadavg()[0].toFixed(1)})`);
    await waitUntil(
      everySite((x) => (x.lastCommit?.round ?? -1) >= rounds),
      (5 + n) * minutes,
      `round ${rounds} applied at every site`,
    );
    const steady = { rounds: rounds - 1, msPerRound: Math.round((Date.now() - steadyFrom) / (rounds - 1)) };
    const sentTo = await bytesSent(urls);
    // The mean, as the model counts per site: a site that holds an update early serves it to more others.
    const mean = sentTo.reduce((t, b, i) => t + b - sentFrom[i], 0) / n / (rounds - 1);
    const sent = { perRoundMb: mean / 1e6, updateMb: updateBytes / 1e6, ratio: mean / updateBytes };
    say(
      `round ${rounds} applied everywhere: ${steady.msPerRound} ms per round (load ${loadavg()[0].toFixed(1)})`,
    );
    const contributors = latest[0]?.lastCommit?.contributors.length ?? 0;
    for (const [i, s] of latest.entries()) {
      const contradiction = s && contradicts(s, n);
      if (contradiction) problems.push(`${swarm.names[i]}: ${contradiction}`);
    }

    const victim = n - 1;
    // From the last answered statuses: one unanswered poll on a loaded machine must not end the soak.
    const swarmRound = Math.max(...(await poll()).slice(0, victim).map((x) => x?.lastCommit?.round ?? -1));
    swarm.sites[victim]!.proc.kill('SIGKILL');
    await swarm.sites[victim]!.stop(5000);
    const killedAt = Date.now();
    await swarm.launch(victim);
    await waitUntil(
      async () => (await applied(victim)) >= swarmRound,
      (5 + n / 2) * minutes,
      'the restarted site catching up',
    );
    const rejoinMs = Date.now() - killedAt;
    await waitUntil(
      async () => (await applied(victim)) >= swarmRound + 1 && (await applied(0)) >= swarmRound + 1,
      (10 + n) * minutes,
      'a round committed with the restarted site',
    );
    const recommitMs = Date.now() - killedAt;
    say(
      `${swarm.names[victim]} killed at round ${swarmRound}: caught up in ${rejoinMs} ms, next round in ${recommitMs} ms`,
    );

    await swarm.stopAll();
    const logs = await checkLogs(swarm);
    if (!logs.ok) problems.push(`round logs: ${logs.verdicts.join(' | ')} (equal: ${logs.equal})`);
    load.end = loadavg()[0];
    return {
      ...{ ok: problems.length === 0, problems, sites: n, aggregation: o.aggregation, minPeers },
      ...{ launchedMs, allLiveMs, round0Ms, firstCommitMs, contributors, steady, sent, rejoinMs, recommitMs },
      logVerdicts: logs.verdicts,
      ...{ load, durationMs: Date.now() - started },
    };
  } catch (err) {
    say(logTails(swarm, 1500));
    throw err;
  } finally {
    await swarm.stopAll(5000);
  }
}

/** A status that says all members are live yet waits for peers (the 20-site contradiction). */
export function contradicts(s: StatusSnapshot, n: number): string | null {
  if (s.membersTotal !== n) return `lists ${s.membersTotal} members, not ${n}`;
  const w = s.waitingForPeers;
  if (w && w.online !== s.membersLive)
    return `members ${s.membersLive} of ${s.membersTotal} live but waiting with ${w.online} online`;
  const live = s.members.filter((m) => m.self || m.live).length;
  if (live !== s.membersLive) return `membersLive ${s.membersLive} but ${live} members marked live`;
  return null;
}
