import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchStatus, launchSite, type LaunchedSite } from '../../src/node/index.js';
import { aggregatorOrder } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { createSwarmSetup, explainFailure, type SwarmSetup } from './swarm-setup.js';

// Real daemons, real SIGKILL: the aggregator dies mid-round, the backup commits; the dead site restarts from
// its LevelDB and catches up; with quorum gone the survivor reports a stall.
const COMMIT_TIMEOUT_MS = 4_000;
const DEADLINE_MS = 30_000;

describe('swarm faults with real daemons', () => {
  let setup: SwarmSetup;
  const sites = new Map<string, LaunchedSite>();

  beforeAll(async () => {
    setup = await createSwarmSetup({
      sites: 3,
      swarm: { minPeers: 2, rounds: 40, roundDeadlineMs: DEADLINE_MS, commitTimeoutMs: COMMIT_TIMEOUT_MS },
      training: { epochsPerRound: 1 },
    });
  });

  afterAll(async () => {
    await Promise.all([...sites.values()].map((s) => s.stop(5000)));
    await rm(setup.dir, { recursive: true, force: true });
  });

  const status = (name: string) => fetchStatus(sites.get(name)!.statusUrl, { timeoutMs: 5000 });
  const nameOf = (peerId: string) => [...sites].find(([, s]) => s.peerId === peerId)?.[0];
  async function launch(i: number) {
    const others = [...sites.values()].filter((s) => s.proc.exitCode === null && s.proc.signalCode === null);
    const s = await launchSite(setup.configs[i], { bootstrap: others.flatMap((o) => o.addrs.slice(0, 1)) });
    sites.set(setup.names[i], s);
    return s;
  }
  const explain = <T>(p: Promise<T>) => explainFailure(sites, p, 2500);

  it('the backup commits when the aggregator is SIGKILLed; the dead site resumes and catches up', async () => {
    for (let i = 0; i < 3; i++) await launch(i);
    await explain(
      waitFor(async () => ((await status('site-a')).lastCommit?.round ?? -1) >= 1, {
        timeoutMs: 120_000,
        what: 'round 1',
      }),
    );
    // Kill the first in the round's rendezvous order while the round is still open.
    const victim = await explain(
      waitFor(
        async () => {
          const s = await status('site-a');
          if (s.phase !== 'training' && s.phase !== 'collecting') return null;
          const order = aggregatorOrder(
            'it-swarm',
            s.round,
            [...sites.values()].map((x) => x.peerId),
          );
          return { name: nameOf(order[0]), round: s.round };
        },
        { timeoutMs: 60_000, intervalMs: 100, what: 'an open round' },
      ),
    );
    expect(victim.name).toBeDefined();
    const victimName = victim.name!;
    const survivor = setup.names.find((n) => n !== victimName)!;
    // Rounds the victim applied before it dies: their dashboard history must survive the restart.
    // (Only rounds before the open one: the victim may apply that one in memory as it is killed.)
    const plotted = (await status(victimName)).history.filter(
      (h) => h.mergedAccuracy !== null && h.round < victim.round,
    );
    expect(plotted.length).toBeGreaterThan(0);
    sites.get(victimName)!.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await explain(
      waitFor(async () => ((await status(survivor)).lastCommit?.round ?? -1) >= victim.round, {
        timeoutMs: DEADLINE_MS + 4 * COMMIT_TIMEOUT_MS + 10_000,
        intervalMs: 200,
        what: `round ${victim.round} committed without its aggregator`,
      }),
    );
    const tookMs = Date.now() - killedAt;
    console.log(
      `aggregator ${victimName} killed in round ${victim.round}; the backup committed it ${tookMs} ms later`,
    );

    // Restart the killed site: its LevelDB opens after SIGKILL and it catches up to the swarm.
    const restarted = await launch(setup.names.indexOf(victimName));
    expect(restarted.output()).not.toMatch(/STORE_|corrupt/);
    const kept = (await status(victimName)).history;
    for (const h of plotted) expect(kept).toContainEqual(h);
    await explain(
      waitFor(
        async () => {
          const [mine, theirs] = await Promise.all([status(victimName), status(survivor)]);
          return (
            (mine.lastCommit?.round ?? -1) >= (theirs.lastCommit?.round ?? 0) &&
            mine.lastCommit!.round > victim.round
          );
        },
        { timeoutMs: 120_000, intervalMs: 300, what: `${victimName} caught up after restart` },
      ),
    );
    const caughtUp = (await status(victimName)).lastCommit!.round;
    // …and contributes again to a later round.
    await explain(
      waitFor(
        async () => {
          const s = await status(survivor);
          return (
            s.lastCommit &&
            s.lastCommit.round > caughtUp &&
            s.lastCommit.contributors.some((c) => c.peerId === restarted.peerId)
          );
        },
        { timeoutMs: 120_000, intervalMs: 300, what: `${victimName} contributing again` },
      ),
    );

    // Quorum lost: with two of three gone the last one reports a stall.
    const last = setup.names.find((n) => n !== victimName && n !== survivor)!;
    await Promise.all([sites.get(victimName)!.stop(), sites.get(survivor)!.stop()]);
    const stalled = await explain(
      waitFor(
        async () => {
          const s = await status(last);
          return s.stalledSinceMs !== null ? s : null;
        },
        { timeoutMs: DEADLINE_MS + 30_000, intervalMs: 500, what: `${last} reporting a stall` },
      ),
    );
    expect(stalled.membersLive).toBe(1);
    expect(stalled.stalledReason).toBeTruthy();
  });
});
