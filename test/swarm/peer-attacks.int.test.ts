import { afterEach, describe, expect, it } from 'vitest';
import { hashTensors } from '../../src/core/index.js';
import type { SwarmPeerInit } from '../../src/swarm/index.js';
import { TestSwarm, initialWeights, stopAll, type Site, type WorkHooks } from './peer-harness.js';

afterEach(stopAll);

/*
 * One member of three attacks the merge from round `from` on. Every peer validates every update the same
 * way: the honest aggregator leaves the bad one out, and a commit that includes it is rejected everywhere,
 * so from then on the merged model moves by the FedAvg of the honest sites only (worked by hand below).
 */
const ATTACKER = 2;
const SIZE = 100;
/** Site k adds (k+1)·0.01 per round and weighs k+10 samples. */
const ALL_STEP = (10 * 0.01 + 11 * 0.02 + 12 * 0.03) / 33;
const HONEST_STEP = (10 * 0.01 + 11 * 0.02) / 21;

async function runAttack(
  poison: (w: Float32Array) => Float32Array,
  from: number,
  mergeOptions: SwarmPeerInit['mergeOptions'] = {},
  more: Pick<WorkHooks, 'samples'> = {},
): Promise<Site[]> {
  const swarm = await TestSwarm.create(3, { minPeers: 2, maxRounds: 2, size: SIZE });
  const attack = { poison: (round: number, w: Float32Array) => (round >= from ? poison(w) : w), ...more };
  const hooks = swarm.keys.map((_, k) => (k === ATTACKER ? attack : {}));
  const sites = await swarm.startAll({ hooks, init: { mergeOptions } });
  const honest = sites.filter((s) => s.k !== ATTACKER);
  await Promise.all(honest.map((s) => s.peer.waitForRound(2, 40_000)));
  let expected = Float64Array.from(initialWeights(SIZE));
  for (const round of [1, 2]) {
    const attacked = round >= from;
    expected = expected.map((w) => w + (attacked ? HONEST_STEP : ALL_STEP));
    for (const s of honest) {
      const a = s.work.applied.find((x) => x.round === round)!;
      const ids = a.commit.contributors.map((c) => c.peerId);
      expect(ids.includes(sites[ATTACKER].peerId)).toBe(!attacked);
      expect(hashTensors(a.merged)).toBe(a.commit.mergedHash);
      const w = a.merged.get('w')!.data;
      for (let i = 0; i < SIZE; i++) expect(w[i]).toBeCloseTo(expected[i], 5);
    }
  }
  return honest;
}

describe('swarm peer under attack by one member', () => {
  it('leaves NaN weights out of every merge, at every honest peer', async () => {
    await runAttack((w) => w.map((x, i) => (i === 7 ? NaN : x)), 1);
  });

  it('leaves an update scaled ×1e6 out from round 1 on, measured from the median model before any merge', async () => {
    const honest = await runAttack((w) => w.map((x) => x * 1e6), 1, { maxUpdateNorm: 10 });
    for (const s of honest) {
      const c1 = s.work.applied[1].commit;
      expect(c1.excluded).toEqual([
        { peerId: s.peer.status().members[ATTACKER].peerId, updateHash: expect.any(String), reason: 'norm' },
      ]);
      expect(s.peer.status().members[ATTACKER].excluded).toEqual({ norm: 2 });
    }
  });

  it('leaves out an update that claims more samples than its site counted in round 0', async () => {
    const inflate = { samples: (round: number, n: number) => (round >= 1 ? 1_000_000 : n) };
    const honest = await runAttack((w) => w, 1, {}, inflate);
    for (const s of honest) {
      const attacker = s.peer.status().members[ATTACKER];
      expect(s.work.applied[1].commit.excluded?.map((x) => x.reason)).toEqual(['samples-inflated']);
      expect(attacker.excluded).toEqual({ 'samples-inflated': 2 });
      expect(attacker.offences).toEqual({ 'invalid-update': 2 });
    }
  });

  it('leaves an update scaled ×1e6 out once maxUpdateNorm bounds its distance from the model', async () => {
    const honest = await runAttack((w) => w.map((x) => x * 1e6), 2, { maxUpdateNorm: 10 });
    for (const s of honest) expect(s.peer.status().members[ATTACKER].excluded).toEqual({ norm: 1 });
  });
});
