import { afterEach, describe, expect, it } from 'vitest';
import { hashTensors } from '../../src/core/index.js';
import { TestSwarm, stopAll } from './peer-harness.js';

afterEach(stopAll);

const SECURE = { secure: { dropoutFraction: 0.34, graphDegree: 'all' as const } };

describe('secure rounds between real peers', () => {
  it('commits a secure round at every peer', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 2, size: 100 });
    const sites = await swarm.startAll({ init: SECURE });
    await Promise.all(sites.map((s) => s.peer.waitForRound(2, 40_000)));
    for (const s of sites) {
      const a = s.work.applied.find((x) => x.round === 2)!;
      expect(hashTensors(a.merged)).toBe(a.commit.mergedHash);
      expect(a.commit.contributors).toHaveLength(3);
    }
  }, 60_000);
});
