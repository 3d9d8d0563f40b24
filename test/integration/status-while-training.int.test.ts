import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStatus, launchSite, type LaunchedSite } from '../../src/node/index.js';
import { createSwarmSetup, explainFailure, type SwarmSetup } from './swarm-setup.js';

// One real `swarmd start` process (a one-member swarm, so it trains without waiting for peers) on the
// bundled TCGA data. Its training runs in a worker thread; /status is asked over and over while it trains.
// A daemon that trained on its event loop would answer only between rounds, never with phase `training`;
// how fast it answers is printed, not asserted (a loaded test machine decides that).
const ROUNDS = 2;

describe('a daemon training a round', () => {
  let setup: SwarmSetup;
  let site: LaunchedSite | undefined;

  beforeAll(async () => {
    setup = await createSwarmSetup({
      sites: 1,
      swarm: { minPeers: 1, rounds: ROUNDS, roundDeadlineMs: 120_000, commitTimeoutMs: 5_000 },
      training: { epochsPerRound: 6 },
    });
  });

  afterAll(async () => {
    await site?.stop(5000);
    await rm(setup.dir, { recursive: true, force: true });
  });

  it('answers /status while it trains a model round, and shows its backend and device', async () => {
    site = await launchSite(setup.configs[0]);
    const latencies: number[] = []; // of answers that said the site was training a model round
    let otherMax = 0; // applying a commit seals and writes a checkpoint in this thread: reported, not asserted
    const deadline = Date.now() + 240_000;
    for (;;) {
      const started = performance.now();
      const s = await fetchStatus(site.statusUrl, { timeoutMs: 5000 });
      const ms = performance.now() - started;
      if (s.phase === 'training' && s.round >= 1) latencies.push(ms);
      else otherMax = Math.max(otherMax, ms);
      if ((s.lastCommit?.round ?? -1) >= ROUNDS) {
        expect(s.backend).toBe('wasm');
        expect(s.backendDevice).toMatch(/wasm/);
        break;
      }
      if (Date.now() > deadline)
        await explainFailure(new Map([['site-a', site]]), Promise.reject(new Error('no commit')));
      await new Promise((r) => setTimeout(r, 50));
    }
    const max = Math.max(...latencies);
    console.log(
      `/status while training: ${latencies.length} answers, max ${max.toFixed(0)} ms, ` +
        `median ${latencies.sort((a, b) => a - b)[latencies.length >> 1].toFixed(0)} ms; other phases max ${otherMax.toFixed(0)} ms`,
    );
    expect(latencies.length).toBeGreaterThanOrEqual(20);
  });
});
