// /status while a daemon trains: one real `swarmd start` process (a one-member swarm, so it trains without
// waiting for peers) on the bundled TCGA data, asked for /status every 50 ms from round 0 to its last commit.
// Its training runs in a worker thread, so answers given while it trains a model round should take about as
// long as the others; the table prints both and their ratio (the integration test asserts only that the
// daemon answers while it trains: how fast is this machine's business).
//   npx tsc -p tsconfig.json && node dist/bench/status-latency-bench.js
import '../src/core/polyfill.js';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { modelKeyFromBytes } from '../src/inr/index.js';
import { fetchStatus, launchSite, loadTcga, planSites, writeSwarmDir } from '../src/node/index.js';
import { median } from './swarm-bench.js';

const DATA = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../data' : '../../data', import.meta.url),
);
const ROUNDS = 2;
const POLL_MS = 50;
const DEADLINE_MS = 300_000;

export async function runStatusLatencyBench(): Promise<void> {
  console.log(`\n## /status latency while the daemon trains (1 site, TCGA, ${ROUNDS} rounds of 6 epochs)`);
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-status-bench-'));
  try {
    const ds = await loadTcga(DATA);
    const plan = planSites(ds, { sites: 1, seed: 42, mode: 'random' });
    const key = modelKeyFromBytes(createHash('sha256').update('swarmd status bench key').digest());
    const [config] = await writeSwarmDir(dir, ds, plan, ['site-a'], {
      dataDir: DATA,
      key,
      swarm: {
        ...{ swarmId: 'status-bench', minPeers: 1, rounds: ROUNDS, model: { seed: 42 } },
        ...{ roundDeadlineMs: 120_000, commitTimeoutMs: 5_000 },
      },
      site: () => ({ training: { epochsPerRound: 6 }, log: { level: 'warn', pretty: false } }),
    });
    const site = await launchSite(config, { timeoutMs: 180_000 });
    try {
      const { training, other } = await pollUntilDone(site.statusUrl);
      const row = (what: string, xs: number[]) =>
        `| ${what} | ${xs.length} | ${median(xs).toFixed(1)} ms | ${Math.max(...xs).toFixed(1)} ms |`;
      console.log('| answers | n | median | max |\n|---|---|---|---|');
      console.log(row('while training a model round', training));
      console.log(row('in every other phase', other));
      console.log(
        `median while training ÷ median otherwise: ${(median(training) / median(other)).toFixed(2)}`,
      );
    } finally {
      await site.stop(10_000);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Latencies of /status answers, split by whether the answer said the site was training a model round. */
async function pollUntilDone(url: string): Promise<{ training: number[]; other: number[] }> {
  const training: number[] = [];
  const other: number[] = [];
  const deadline = Date.now() + DEADLINE_MS;
  while (Date.now() < deadline) {
    const started = performance.now();
    const s = await fetchStatus(url, { timeoutMs: 30_000 });
    const ms = performance.now() - started;
    (s.phase === 'training' && s.round >= 1 ? training : other).push(ms);
    if ((s.lastCommit?.round ?? -1) >= ROUNDS) return { training, other };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  throw new Error(`the site did not commit round ${ROUNDS} within ${DEADLINE_MS / 1000} s`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await runStatusLatencyBench();
