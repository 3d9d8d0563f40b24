import { afterEach, describe, expect, it } from 'vitest';
import {
  formatStatusTable,
  privacyPlan,
  privacyStatus,
  privateWork,
  roundsToTrain,
  SwarmConfigSchema,
} from '../../src/node/index.js';
import { statusSource, RoundHistory } from '../../src/node/status-source.js';
import { epsilonSpent } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { TestSwarm, initialWeights, stopAll, type Site } from './peer-harness.js';

afterEach(stopAll);

/*
 * Distributed DP over secure rounds between real in-process peers on libp2p. Site k's round update is
 * +(k+1)·0.01 on each of d = 1000 weights (TestWork): norm 0.316·(k+1), far above C = 0.05, so every site
 * sends start + C/√d per weight + its noise share N(0, (σC)²/3). The committed merge is then start + C/√d
 * + noise of std σC/3 per weight (the mean of 3): numbers computed here, not by the code under test.
 */
const SIZE = 1000;
const PRIVACY = { clipNorm: 0.05, noiseMultiplier: 1, delta: 1e-5 };
const TIMES = { roundDeadlineMs: 20_000, commitTimeoutMs: 4000 };

/** A budget that fits exactly two rounds (ε after 2 ≤ maxEpsilon < ε after 3) at this model size. */
function planFor(maxEpsilon: number | undefined) {
  const swarm = SwarmConfigSchema.parse({
    ...{ swarmId: 'peer-test', pskFile: 'x', minPeers: 3, model: { classNames: ['a', 'b'] } },
    members: ['a', 'b', 'c'].map((x) => x.repeat(52)),
    aggregation: 'secure',
    privacy: { ...PRIVACY, ...(maxEpsilon === undefined ? {} : { maxEpsilon }) },
  });
  return privacyPlan({ ...swarm, privacy: swarm.privacy! }, SIZE);
}

function moments(v: ArrayLike<number>): { mean: number; std: number } {
  const a = Array.from(v);
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  return { mean, std: Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / (a.length - 1)) };
}

describe('differential privacy over secure rounds', () => {
  it('commits noised, clipped, equally weighted rounds; every peer reports the same ε; maxEpsilon stops training', async () => {
    const unbounded = planFor(undefined);
    const eps = (r: number) =>
      epsilonSpent({ sigma: unbounded.sigma, delta: PRIVACY.delta, rounds: r }).epsilon;
    const plan = planFor((eps(2) + eps(3)) / 2);
    expect(plan.roundsAllowed).toBe(2);
    const maxRounds = roundsToTrain(null, plan);
    const swarm = await TestSwarm.create(3, { size: SIZE, minPeers: 3, maxRounds, ...TIMES });
    const hosts = [];
    for (let k = 0; k < 3; k++) hosts.push(await swarm.host(k));
    await swarm.meshReady(swarm.hosts);
    const sites: Site[] = await Promise.all(
      hosts.map((host, k) =>
        swarm.start(k, {
          host,
          hooks: { beforeStats: swarm.seesAll(k) },
          init: { secure: { dropoutFraction: 0.34, graphDegree: 'all' } },
          roundWork: (work) =>
            privateWork(work, {
              plan,
              startWeights: async () => tensorsOf(initialWeights(SIZE)),
              log: quiet,
            }),
        }),
      ),
    );
    const sources = sites.map((s) =>
      statusSource({
        ...{ peer: s.peer, host: s.host, backend: 'test', backendDevice: 'cpu', swarmId: 'peer-test' },
        ...{ history: new RoundHistory(), disk: { dataDirBytes: null }, names: new Map() },
        ...{ rounds: maxRounds, privacy: plan },
      }),
    );
    await waitFor(() => sources.every((x) => x.status().finishedAfterRound === 2), {
      timeoutMs: 90_000,
      what: 'every site finishing after round 2 (the privacy budget)',
    });

    // Round 1: equal weights, and merged − start = C/√d per weight plus the mean of three sites' noise, each
    // of std σC/√(m − 1) (σ holds against one curious member): σC·√(3/2)/3.
    for (const s of sites) {
      const one = s.work.applied.find((a) => a.round === 1)!;
      expect(one.commit.contributors.map((c) => c.samples)).toEqual([1, 1, 1]);
      const start = initialWeights(SIZE);
      const delta = Array.from(one.merged.get('w')!.data, (w, i) => w - start[i]);
      const m = moments(delta);
      const noiseStd = (PRIVACY.noiseMultiplier * PRIVACY.clipNorm * Math.sqrt(3 / 2)) / 3;
      expect(m.std / noiseStd).toBeGreaterThan(0.85); // 1000 samples: std within ±15 % (SE 2.2 %)
      expect(m.std / noiseStd).toBeLessThan(1.15); // the old share σC/√m would read 0.82, a √3 mistake 1.73
      expect(Math.abs(m.mean - PRIVACY.clipNorm / Math.sqrt(SIZE))).toBeLessThan(
        (5 * noiseStd) / Math.sqrt(SIZE),
      );
    }
    // Every peer reports the same ε, the accountant's for 2 rounds, and stopped before a third round.
    const reports = sources.map((x) => x.status().privacy!);
    for (const p of reports) expect(p).toEqual(privacyStatus(plan, 2));
    expect(reports[0].epsilon).toBe(eps(2));
    expect(reports[0].budgetReached).toBe(true);
    for (const s of sites) expect(s.work.trained).toEqual([1, 2]);
    expect(formatStatusTable(sources[0].status(), Date.now())).toContain(
      `finished after round 2: privacy budget ε=${eps(2).toFixed(2)} reached`,
    );
  });
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function tensorsOf(w: Float32Array) {
  return new Map([['w', { shape: [w.length], data: w }]]);
}
