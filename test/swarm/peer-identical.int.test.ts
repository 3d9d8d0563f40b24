import { afterEach, describe, expect, it } from 'vitest';
import { hashTensors } from '../../src/core/index.js';
import { TestSwarm, initialWeights, stopAll } from './peer-harness.js';

afterEach(stopAll);

describe('byte-identical updates from two peers', () => {
  it('merges both: distinct update hashes, each with its own sample count, the same merge at every peer', async () => {
    const size = 1000;
    const swarm = await TestSwarm.create(2, { size, minPeers: 2, maxRounds: 2 });
    // Both sites send exactly these weights every round (site k still reports k + 10 samples).
    const same = Float32Array.from(initialWeights(size), (x) => x * 3 + 0.25);
    const sites = await swarm.startAll({ hooks: [{ poison: () => same }, { poison: () => same }] });
    await Promise.all(sites.map((s) => s.peer.waitForRound(2, 30_000)));

    for (const round of [1, 2]) {
      const [a, b] = sites.map((s) => s.work.applied.find((x) => x.round === round)!);
      const contributors = a.commit.contributors;
      expect(contributors.map((c) => c.peerId).sort()).toEqual([...swarm.members].sort());
      expect(new Set(contributors.map((c) => c.updateHash)).size).toBe(2);
      const samplesOf = (k: number) => contributors.find((c) => c.peerId === swarm.members[k])!.samples;
      expect([samplesOf(0), samplesOf(1)]).toEqual([10, 11]);
      // The sample-weighted average of two equal vectors is that vector (float64 sum, one rounding).
      expect(a.merged.get('w')!.data).toEqual(same);
      expect(hashTensors(b.merged)).toBe(hashTensors(a.merged));
      expect(b.hash).toBe(a.hash);
    }
    // Nothing refused or left out (a stale-round drop is a peer's own commit coming back by gossip).
    for (const s of sites)
      expect(Object.keys(s.peer.status().dropped)).not.toContainEqual(
        expect.not.stringMatching(/^stale-round$/),
      );
  });
});
