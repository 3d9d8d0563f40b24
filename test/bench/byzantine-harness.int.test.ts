import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MERGE_ROWS, TABLE_DEFENCE, createHarness, type Harness } from '../../bench/byzantine-harness.js';
import { selectBackend } from '../../src/models/index.js';

// One small cell of `npm run table:byzantine`: 10 sites, one attacker, 2 rounds (round 1 trains once and is
// shared by the runs through the harness's cache). In-process, no network; about a minute on wasm.
const row = (label: string) => MERGE_ROWS.find((r) => r.label === label)!;

describe('the attack table harness, f = 1', () => {
  let h: Harness;
  beforeAll(async () => {
    await selectBackend('auto');
    h = await createHarness({
      sites: 10,
      seed: 42,
      rounds: 2,
      epochsPerRound: 1,
      learningRate: 0.01,
      defence: TABLE_DEFENCE,
    });
  }, 60_000);
  afterAll(() => h?.dispose());

  it('bites plain FedAvg (Gaussian σ = 200: > 20 points lost) and not median with validation (≤ 2 points)', async () => {
    const clean = await h.runCell(row('fedavg, no validation'), null, 0);
    const plain = await h.runCell(row('fedavg, no validation'), 'gaussian', 1);
    const robust = await h.runCell(row('median + validation'), 'gaussian', 1);
    expect(clean.accuracy).toBeGreaterThan(0.6); // the clean swarm learns in two rounds
    expect(clean.accuracy - plain.accuracy).toBeGreaterThan(0.2);
    expect(clean.accuracy - robust.accuracy).toBeLessThanOrEqual(0.02);
    // The norm bound leaves the attacker out in both rounds and keeps every honest site.
    expect(robust).toMatchObject({ excludedAttackers: 2, excludedHonest: 0, diedAfterRound: null });
  }, 170_000);

  // ByzFL's SignFlip (−mean of the honest updates) from 1 of 10 sites only slows FedAvg (0.8 × the mean
  // step), so it does not bite here (the table measures it); the robust merge must still hold.
  it('keeps median with validation within 2 points of clean under SignFlip', async () => {
    const clean = await h.runCell(row('fedavg, no validation'), null, 0);
    const robust = await h.runCell(row('median + validation'), 'signflip', 1);
    expect(clean.accuracy - robust.accuracy).toBeLessThanOrEqual(0.02);
  }, 120_000);
});
