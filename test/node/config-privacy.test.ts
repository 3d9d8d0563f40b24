import { describe, expect, it } from 'vitest';
import { base, problems } from '../helpers/swarm-config.js';
import {
  formatStatusTable,
  privacyPlan,
  privacyStatus,
  roundsToTrain,
  SwarmConfigSchema,
} from '../../src/node/index.js';
import { epsilonSpent } from '../../src/swarm/index.js';

const privacy = { clipNorm: 1, noiseMultiplier: 1, delta: 1e-5 };

describe('swarm config: privacy', () => {
  it('is off by default and accepted with secure aggregation', () => {
    expect(SwarmConfigSchema.parse(base).privacy).toBeUndefined();
    const c = SwarmConfigSchema.parse({ ...base, aggregation: 'secure', privacy });
    expect(c.privacy).toEqual(privacy);
  });

  it('refuses privacy with plain aggregation, saying why', () => {
    expect(problems({ privacy })).toEqual([
      'privacy: privacy needs aggregation: secure: with plain aggregation every member receives each ' +
        "update with only its site's share of the noise, which protects nothing; set aggregation: secure",
    ]);
  });

  it('refuses out-of-range parameters and unknown keys', () => {
    const secure = { aggregation: 'secure' };
    expect(problems({ ...secure, privacy: { ...privacy, clipNorm: 0 } })).toEqual([
      'privacy.clipNorm: privacy.clipNorm must be > 0: the largest L2 norm of a site update',
    ]);
    expect(problems({ ...secure, privacy: { ...privacy, noiseMultiplier: -1 } })[0]).toMatch(
      /^privacy.noiseMultiplier: privacy.noiseMultiplier must be > 0/,
    );
    expect(problems({ ...secure, privacy: { ...privacy, delta: 0.5 } })[0]).toMatch(
      /^privacy.delta: privacy.delta must be ≤ 0.01/,
    );
    expect(problems({ ...secure, privacy: { clipNorm: 1, noiseMultiplier: 1 } })[0]).toMatch(
      /^privacy.delta/,
    );
    expect(problems({ ...secure, privacy: { ...privacy, epsilon: 3 } })[0]).toMatch(/Unrecognized key/);
  });

  it('refuses noise that would leave the fixed-point range of the secure sum', () => {
    // ±2047.99…: std 1000·0.5/√3 = 288.7, 8 std = 2309 > 1024.
    expect(
      problems({ aggregation: 'secure', privacy: { ...privacy, noiseMultiplier: 1000, clipNorm: 0.5 } }),
    ).toEqual([
      "privacy: each site's noise (std noiseMultiplier·clipNorm/√minPeers = 289) would leave the secure " +
        'fixed-point range (±2047) at 8 std: lower clipNorm or noiseMultiplier',
    ]);
  });

  it('refuses a maxEpsilon that not even one round fits in', () => {
    const one = epsilonSpent({ sigma: 1, delta: 1e-5, rounds: 1 }).epsilon;
    expect(problems({ aggregation: 'secure', privacy: { ...privacy, maxEpsilon: one * 0.9 } })).toEqual([
      `privacy: privacy.maxEpsilon ${one * 0.9} is below the ε of a single round (${one.toFixed(3)}): ` +
        'raise maxEpsilon or noiseMultiplier',
    ]);
    expect(problems({ aggregation: 'secure', privacy: { ...privacy, maxEpsilon: one } })).toEqual([]);
  });
});

describe('privacy plan', () => {
  const swarm = SwarmConfigSchema.parse({
    ...base,
    minPeers: 4,
    aggregation: 'secure',
    privacy: { clipNorm: 0.5, noiseMultiplier: 1.2, delta: 1e-5, maxEpsilon: 10 },
  });
  const plan = privacyPlan({ ...swarm, privacy: swarm.privacy! }, 10_000);

  it('splits the noise over minPeers sites and charges rounding to the sensitivity', () => {
    expect(plan.mechanism).toEqual({
      clipNorm: 0.5,
      noiseMultiplier: 1.2,
      delta: 1e-5,
      maxEpsilon: 10,
      // 5 members: t = 4 from the list, so m = max(4, minPeers 4); c = ⌊4/3⌋ = 1.
      minContributors: 4,
      maxColluders: 1,
    });
    // Δ = C + √d·2^−20 = 0.5 + 100/1048576; σ_eff = σ·C/Δ.
    expect(plan.sigma).toBeCloseTo((1.2 * 0.5) / (0.5 + 100 / 2 ** 20), 12);
  });

  it('allows the most rounds whose ε stays within maxEpsilon, and caps the rounds to train', () => {
    const eps = (rounds: number) => epsilonSpent({ sigma: plan.sigma, delta: 1e-5, rounds }).epsilon;
    const allowed = plan.roundsAllowed!;
    expect(eps(allowed)).toBeLessThanOrEqual(10);
    expect(eps(allowed + 1)).toBeGreaterThan(10);
    expect(roundsToTrain(5, plan)).toBe(Math.min(5, allowed));
    expect(roundsToTrain(null, plan)).toBe(allowed);
    expect(roundsToTrain(1000, plan)).toBe(allowed);
    expect(roundsToTrain(7, null)).toBe(7);
  });

  it('reports ε after the rounds committed and says when the budget is reached', () => {
    expect(privacyStatus(plan, null)).toMatchObject({ epsilon: 0, roundsCounted: 0, budgetReached: false });
    expect(privacyStatus(plan, 0).epsilon).toBe(0); // the statistics round is not a model release
    // A sum unmasked but not committed is a release too; with c = 1, σ holds against one curious member too.
    const spent = privacyStatus(plan, 3, 1);
    expect(spent).toMatchObject({ roundsCounted: 4, unmaskedNotCommitted: 1, maxColluders: 1 });
    const eps4 = epsilonSpent({ sigma: plan.sigma, delta: 1e-5, rounds: 4 }).epsilon;
    expect([spent.epsilon, spent.epsilonCurious, spent.epsilonColluders]).toEqual([eps4, eps4, eps4]);
    const three = privacyStatus(plan, 3);
    expect(three.epsilon).toBe(epsilonSpent({ sigma: plan.sigma, delta: 1e-5, rounds: 3 }).epsilon);
    const done = privacyStatus(plan, plan.roundsAllowed!);
    expect(done.budgetReached).toBe(true);
    const snapshot = {
      ...{ peerId: 'p', listenAddrs: [], backend: 'cpu', swarmId: 's', members: [], membersLive: 1 },
      ...{ membersTotal: 1, round: done.roundsCounted + 1, roundsTotal: done.roundsCounted },
      ...{
        finishedAfterRound: done.roundsCounted,
        phase: 'idle' as const,
        aggregator: null,
        lastCommit: null,
      },
      ...{
        stalledSinceMs: null,
        stalledReason: null,
        history: [],
        dropped: {},
        startedAtMs: 0,
        version: 'x',
      },
      privacy: done,
    };
    const text = formatStatusTable(snapshot, 1000);
    expect(text).toContain(
      `finished after round ${done.roundsCounted}: privacy budget ε=${done.epsilon.toFixed(2)} reached`,
    );
    expect(text).toMatch(new RegExp(`privacy +ε = ${done.epsilon.toFixed(2)} spent \\(δ = 0.00001\\)`));
  });
});
