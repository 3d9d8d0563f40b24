import { afterEach, describe, expect, it } from 'vitest';
import { encodeTensors, hashTensors } from '../../src/core/index.js';
import { MAX_CHUNK_BYTES, type SwarmHost } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { TestSwarm, initialWeights, stopAll, type Site } from './peer-harness.js';

afterEach(stopAll);

/** Hand-worked FedAvg of the test work: sites k = 0, 1, 2 add (k+1)·0.01 and weigh k+10 samples. */
function expectedWeights(size: number, round: number): Float64Array {
  const step = ((10 * 1 + 11 * 2 + 12 * 3) / 33) * 0.01; // = 68/33 · 0.01 ≈ 0.020606
  return Float64Array.from(initialWeights(size), (w0) => w0 + round * step);
}

function expectSameRounds(sites: Site[], rounds: number[]): void {
  for (const round of rounds) {
    const applied = sites.map((s) => s.work.applied.find((a) => a.round === round)!);
    const bytes = applied.map((a) => Buffer.from(encodeTensors(a.merged)));
    expect(new Set(applied.map((a) => a.hash)).size).toBe(1);
    expect(bytes.every((b) => b.equals(bytes[0]))).toBe(true);
    for (const a of applied) expect(hashTensors(a.merged)).toBe(a.commit.mergedHash);
  }
}

describe('swarm peer rounds', () => {
  it('runs the statistics round and three training rounds to byte-identical FedAvg weights', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 3 });
    const sites = await swarm.startAll();
    await Promise.all(sites.map((s) => s.peer.waitForRound(3, 30_000)));

    expectSameRounds(sites, [0, 1, 2, 3]);
    const [a] = sites;
    expect(a.work.applied.map((x) => x.round)).toEqual([0, 1, 2, 3]);
    // Round 0 sums the statistics: counts 10+11+12, sums (0+1+2)·(1, 2, 3).
    expect([...a.work.applied[0].merged.get('count')!.data]).toEqual([33]);
    expect([...a.work.applied[0].merged.get('sum')!.data]).toEqual([3, 6, 9]);
    expect(a.work.applied[0].commit).toMatchObject({ kind: 'stats', method: 'sum', prevHash: null });
    for (const round of [1, 2, 3]) {
      const got = a.work.applied[round];
      expect(got.commit).toMatchObject({
        kind: 'model',
        method: 'fedavg',
        prevHash: a.work.applied[round - 1].hash,
      });
      expect(got.commit.contributors.map((c) => c.samples).sort()).toEqual([10, 11, 12]);
      const want = expectedWeights(1000, round);
      const w = got.merged.get('w')!.data;
      for (let i = 0; i < w.length; i++) expect(w[i]).toBeCloseTo(want[i], 5);
    }
    for (const s of sites) {
      const st = s.peer.status();
      expect(st.lastCommit).toMatchObject({ round: 3, hash: a.work.applied[3].hash });
      const committed = s.events.flatMap((e) => (e.type === 'round-committed' ? [e.round] : []));
      expect(committed).toEqual([0, 1, 2, 3]);
      const trained3 = s.events.find((e) => e.type === 'trained' && e.round === 3);
      expect(trained3?.type === 'trained' && trained3.metrics.trainLoss).toBeCloseTo(1 / 3);
      expect(st.dropped['merged-hash-mismatch']).toBeUndefined();
      expect(s.events.filter((e) => e.type === 'round-committed')).toHaveLength(4);
      expect(s.work.trained).toEqual([1, 2, 3]); // maxRounds: no training after round 3
    }
  });

  // Over 64 KiB an update is pulled, one chunk or many: gossip would put up to min(6, n − 1) copies of it on
  // the wire per receiver.
  it.each([
    ['a ~3 MB update chunk by chunk', 750_000], // 3 MB of float32: three chunks
    ['an 800 kB one-chunk update', 200_000],
  ])('pulls %s over the direct protocol instead of gossiping it', async (_, size) => {
    const swarm = await TestSwarm.create(3, { size, maxRounds: 1 });
    let gossipedChunks = 0;
    const counting = (h: SwarmHost): SwarmHost => ({
      ...h,
      publish: async (topic, bytes) => {
        if (topic === 'updates' && bytes.byteLength > MAX_CHUNK_BYTES / 2) gossipedChunks++;
        return h.publish(topic, bytes);
      },
    });
    const sites = await swarm.startAll({ wraps: [counting, counting, counting] });
    await Promise.all(sites.map((s) => s.peer.waitForRound(1, 30_000)));

    expect(gossipedChunks).toBe(0);
    expectSameRounds(sites, [0, 1]);
    const merged = sites[1].work.applied[1];
    expect(merged.commit.contributors).toHaveLength(3);
    const want = expectedWeights(size, 1);
    const w = merged.merged.get('w')!.data;
    for (const i of [0, 1, 262_143, 262_144, 600_000, size - 1].filter((k) => k < size))
      expect(w[i]).toBeCloseTo(want[i], 4);
    // Every site pulled the other two sites' updates (2 × 3 MB) and little more.
    for (const s of sites) {
      const direct = s.events.filter(
        (e) => e.type === 'bytes' && e.topic === 'direct' && e.direction === 'in',
      );
      const bytes = direct.reduce((n, e) => n + (e.type === 'bytes' ? e.n : 0), 0);
      expect(bytes).toBeGreaterThan(2 * size * 4);
      expect(bytes).toBeLessThan(3 * size * 4);
    }
    await waitFor(() => sites.every((s) => s.peer.status().phase === 'idle'), {
      timeoutMs: 5000,
      what: 'idle',
    });
  });

  it('repairs a single-chunk update whose chunk was lost on gossip over the direct protocol', async () => {
    const size = 12_000; // 48 kB: one chunk, under MAX_GOSSIP_UPDATE_BYTES, pushed through gossip
    const swarm = await TestSwarm.create(3, { size, maxRounds: 1 });
    let dropped = 0;
    // Site 0's host loses the first chunk-sized gossip message it publishes (its round-1 update's chunk).
    const lossy = (h: SwarmHost): SwarmHost => ({
      ...h,
      publish: async (topic, bytes) => {
        if (topic === 'updates' && bytes.byteLength > size * 2 && dropped++ === 0) return;
        return h.publish(topic, bytes);
      },
    });
    const sites = await swarm.startAll({ wraps: [lossy] });
    await Promise.all(sites.map((s) => s.peer.waitForRound(1, 30_000)));

    expect(dropped).toBeGreaterThan(0);
    expectSameRounds(sites, [0, 1]);
    expect(sites[1].work.applied[1].commit.contributors).toHaveLength(3);
    for (const s of sites.slice(1)) {
      const direct = s.events.filter(
        (e) => e.type === 'bytes' && e.topic === 'direct' && e.direction === 'in',
      );
      expect(direct.reduce((n, e) => n + (e.type === 'bytes' ? e.n : 0), 0)).toBeGreaterThan(size * 4);
    }
  });
});
