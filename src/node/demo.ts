import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { InputError } from '../core/index.js';
import { loadKeyFile, modelKeyFromBytes, type ModelKey } from '../inr/index.js';
import { parseModelConfig, type Dataset, type Scores } from '../models/index.js';
import { openCheckpoint } from '../storage/index.js';
import { MODEL_MERGE_METHODS, type MergeMethod } from '../swarm/index.js';
import { loadTcga, planSites, siteName, type SitePlan } from './demo-data.js';
import { evaluateCheckpoint, trainBaseline } from './evaluate.js';
import { launchSite, type LaunchedSite } from './launcher.js';
import { fetchStatus, formatPrivacy, type StatusSnapshot } from './status/index.js';
import type { PrivacyConfig } from './privacy-config.js';
import { writeSwarmDir } from './swarm-dir.js';

export interface DemoOptions {
  sites: number;
  /** How rows are dealt to sites: at random, or label-skewed (per-class shares ~ Dirichlet(alpha)). */
  split?: { mode: 'random' | 'dirichlet'; alpha?: number };
  /** Train every site alone as a baseline (the demo trains only the first). */
  everySiteAlone?: boolean;
  rounds: number;
  epochsPerRound: number;
  seed: number;
  /** plain (default) or secure: the sites see only each other's masked updates. */
  aggregation?: 'plain' | 'secure';
  /** The swarm config's `privacy` (distributed DP; needs aggregation secure): ε is printed with the table. */
  privacy?: PrivacyConfig;
  /** Keep the daemons running after the table until this promise resolves (e.g. Ctrl-C), for the dashboard. */
  holdOpen?: Promise<void>;
  /** How model rounds merge (default fedavg). */
  merge?: DemoMerge;
  /** Sites started by another entry point than `swarmd start` (the attack demo in bench/ passes one). */
  adversary?: DemoAdversary;
  say: (line: string) => void;
}

export type DemoMerge = Exclude<MergeMethod, 'sum'>;

/**
 * Sites of the demo that run something other than `swarmd start`: the product has none; a harness outside it
 * (`npm run demo:attack`, bench/demo-attack) starts attacking sites this way and reports on them.
 */
export interface DemoAdversary {
  /** Indices of the sites it runs; the others are honest. */
  sites: number[];
  /** What the start line says of such a site, e.g. `ATTACKER (nan)`. */
  role: string;
  /** The script and arguments that start such a site like `swarmd start` (launchSite's `entry`). */
  entry: string[];
  /** swarm.yaml keys on top of the demo's merge settings (validation bounds, a quorum of the honest). */
  swarm: Record<string, unknown>;
  /** Lines printed after the result table, from every site's status. */
  report(names: string[], statuses: StatusSnapshot[]): string;
}

/** The swarm id `swarmd demo` writes into its swarm.yaml. */
const DEMO_SWARM_ID = 'swarmd-demo';

export interface DemoRow {
  model: string;
  right: Scores;
  wrong: Scores;
}

const DATA_DIR = fileURLToPath(new URL('../../../data', import.meta.url));

/**
 * `swarmd demo`: N sites on this machine (fresh temp dirs, generated key and PSK) train on shares of the
 * bundled TCGA set, then the swarm model is compared with centralised and single-site training on the
 * held-out rows, with the right key and a wrong one. Everything it starts is stopped before it returns.
 */
export async function runDemo(
  o: DemoOptions,
): Promise<{ rows: DemoRow[]; testRows: number; siteRows: number[]; report: string | null }> {
  const adversary = o.adversary;
  const adversarial = adversary?.sites ?? [];
  const mergeSettings = { ...demoMergeSettings(o.merge ?? 'fedavg'), ...adversary?.swarm };
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-demo-'));
  const sites: LaunchedSite[] = [];
  try {
    o.say(`working directory ${dir}`);
    const ds = await loadTcga(DATA_DIR);
    const plan = planSites(ds, {
      sites: o.sites,
      seed: o.seed,
      mode: o.split?.mode ?? 'random',
      alpha: o.split?.alpha,
    });
    const names = plan.sites.map((_, i) => siteName(i));
    const configs = await writeDemoConfigs(dir, ds, plan, names, o, mergeSettings);
    // An adversary's sites start first: the honest quorum (minPeers) forms only once they are live, so they
    // take part.
    const order = [...new Set([...adversarial, ...configs.keys()])];
    for (const i of order) {
      const first = sites.find((s) => s !== undefined);
      const bootstrap = first ? first.addrs.slice(0, 1) : [];
      const entry = adversary && adversarial.includes(i) ? { entry: adversary.entry } : {};
      // A loaded machine can take over a minute to load tfjs and the data: wait longer than launchSite's default.
      const launched = await launchSite(configs[i], { bootstrap, ...entry, timeoutMs: 180_000 });
      sites[i] = launched;
      const role = adversary && adversarial.includes(i) ? ` ${adversary.role}` : '';
      o.say(
        `started ${names[i]}${role} (${plan.sites[i].length} samples) peer ${launched.peerId.slice(0, 16)}… status ${launched.statusUrl}`,
      );
    }
    o.say(`dashboard (while the demo runs): ${sites[0].statusUrl}/`);
    const rounds = await followRounds(sites, o); // fewer than o.rounds where a privacy budget ran out
    const key = await loadKeyFile(join(dir, 'site.key'));
    const rows = await resultTable(ds, plan, key, join(dir, 'db', `${names[0]}.latest.swck`), {
      ...o,
      rounds,
    });
    o.say(formatDemoTable(rows, plan.test.length));
    const statuses = await Promise.all(sites.map((s) => fetchStatus(s.statusUrl, { timeoutMs: 10_000 })));
    const report = adversary ? adversary.report(names, statuses) : null;
    if (report) o.say(report);
    const privacy = statuses[0].privacy;
    if (privacy) o.say(`differential privacy (site level, every site): ${formatPrivacy(privacy)}`);
    if (o.holdOpen) {
      o.say(`the sites keep running: dashboard ${sites[0].statusUrl}/ — Ctrl-C stops everything`);
      await o.holdOpen;
    } else o.say('stopping the sites (run `swarmd demo --keep-running` to keep them and the dashboard up)');
    return { rows, testRows: plan.test.length, siteRows: plan.sites.map((r) => r.length), report };
  } finally {
    await Promise.all(sites.map((s) => s.stop()));
    await rm(dir, { recursive: true, force: true });
  }
}

/** The demo's `--merge`; an unknown name is an InputError listing the known. */
export function parseDemoMerge(merge: string): DemoMerge {
  if (!(MODEL_MERGE_METHODS as readonly string[]).includes(merge))
    throw new InputError('DEMO_MERGE', `--merge ${merge}: use one of ${MODEL_MERGE_METHODS.join(', ')}`);
  return merge as DemoMerge;
}

/** The swarm.yaml keys of the demo's merge: the rule and its parameter. */
function demoMergeSettings(merge: DemoMerge): Record<string, unknown> {
  if (merge === 'clipped-fedavg') {
    throw new InputError(
      'DEMO_MERGE',
      'the demo cannot run clipped-fedavg yet: the daemon has no reference model to clip against in round 1; ' +
        'use fedavg, median or trimmed-mean',
    );
  }
  return { merge, ...(merge === 'trimmed-mean' ? { trim: 0.2 } : {}) };
}

function writeDemoConfigs(
  dir: string,
  ds: Dataset,
  plan: SitePlan,
  names: string[],
  o: DemoOptions,
  merge: Record<string, unknown>,
) {
  return writeSwarmDir(dir, ds, plan, names, {
    dataDir: DATA_DIR,
    key: demoKey('right', o.seed),
    swarm: {
      swarmId: DEMO_SWARM_ID,
      minPeers: names.length,
      ...merge,
      rounds: o.rounds,
      roundDeadlineMs: 120_000,
      commitTimeoutMs: 15_000,
      aggregation: o.aggregation ?? 'plain',
      ...(o.privacy ? { privacy: o.privacy } : {}),
      model: { seed: o.seed },
    },
    site: (i) => ({
      training: { epochsPerRound: o.epochsPerRound, seed: o.seed + i },
      log: { level: 'warn', pretty: false },
    }),
  });
}

/** Polls every site's /status and prints a line whenever the swarm's committed round advances. */
async function followRounds(sites: LaunchedSite[], o: DemoOptions): Promise<number> {
  const deadline = Date.now() + o.rounds * 240_000 + 120_000;
  let shown = -1;
  for (;;) {
    // A site busy training may answer late: skip this poll rather than give up (the deadline bounds it).
    const all = await Promise.all(sites.map((s) => fetchStatus(s.statusUrl, { timeoutMs: 10_000 }))).catch(
      () => null,
    );
    if (Date.now() > deadline) throw new Error(`the demo swarm did not finish ${o.rounds} rounds in time`);
    if (!all) continue;
    const done = Math.min(...all.map((s) => s.lastCommit?.round ?? -1));
    if (done > shown) {
      const acc = all
        .map((s) => s.history.find((h) => h.round === done)?.mergedAccuracy)
        .filter((v) => v != null);
      const accText = acc.length
        ? `, merged model val accuracy ${acc.map((v) => (v! * 100).toFixed(1)).join(' / ')}%`
        : '';
      o.say(
        done === 0
          ? 'round 0: shared preprocessing statistics merged'
          : `round ${done}/${o.rounds} committed${accText}${epsilonText(all[0])}`,
      );
      shown = done;
    }
    // A privacy budget (maxEpsilon) may end training before o.rounds.
    if (done >= o.rounds || all.every((s) => s.finishedAfterRound !== null)) return done;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function epsilonText(s: StatusSnapshot): string {
  return s.privacy ? `, ε ${s.privacy.epsilon.toFixed(2)} (δ ${s.privacy.delta})` : '';
}

async function resultTable(ds: Dataset, plan: SitePlan, key: ModelKey, db: string, o: DemoOptions) {
  const wrong = demoKey('wrong', o.seed);
  const cp = await openCheckpoint(db, key);
  const rows: DemoRow[] = [
    {
      model: `swarm (${o.sites} sites, ${o.rounds} rounds)`,
      right: await evaluateCheckpoint(cp, { kind: 'key', key }, ds, plan.test),
      wrong: await evaluateCheckpoint(cp, { kind: 'key', key: wrong }, ds, plan.test),
    },
  ];
  const config = parseModelConfig(cp.manifest.modelConfig);
  const train = { epochs: o.rounds * o.epochsPerRound, batchSize: 32, learningRate: 1e-3, seed: o.seed };
  o.say('training the baselines (centralised, single site) for comparison…');
  rows.push({
    model: 'centralised (all sites pooled)',
    ...(await trainBaseline(ds, config, key, wrong, { train: plan.sites.flat(), test: plan.test }, train)),
  });
  const alone = o.everySiteAlone ? plan.sites : plan.sites.slice(0, 1);
  for (const [i, siteRows] of alone.entries()) {
    const name = `${siteName(i)} alone (${siteRows.length} samples)`;
    rows.push({
      model: name,
      ...(await trainBaseline(ds, config, key, wrong, { train: siteRows, test: plan.test }, train)),
    });
  }
  return rows;
}

export function formatDemoTable(rows: DemoRow[], testRows: number): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`.padStart(7);
  const lines = [
    `held-out test split: ${testRows} samples (no site trained on them)`,
    `${'model'.padEnd(34)} ${'acc'.padStart(7)} ${'F1'.padStart(7)} │ ${'acc, wrong key'.padStart(14)} ${'F1'.padStart(7)}`,
  ];
  for (const r of rows) {
    lines.push(
      `${r.model.padEnd(34)} ${pct(r.right.accuracy)} ${pct(r.right.macroF1)} │ ${pct(r.wrong.accuracy).padStart(14)} ${pct(r.wrong.macroF1)}`,
    );
  }
  return lines.join('\n');
}

/** Demo keys come from the seed so a demo or table run reproduces exactly; real sites use `swarmd keygen`. */
function demoKey(tag: string, seed: number): ModelKey {
  return modelKeyFromBytes(createHash('sha256').update(`swarmd demo ${tag} key ${seed}`).digest());
}
