import { describe, expect, it } from 'vitest';
import { helloEveryTicks } from '../../src/swarm/peer/peer.js';

describe('the hello period', () => {
  it('is every tick up to 11 members, then grows so a member hears about 10 hellos a tick', () => {
    const sizes = [2, 3, 10, 11, 12, 20, 21, 30, 31, 50, 51, 100];
    expect(sizes.map(helloEveryTicks)).toEqual([1, 1, 1, 1, 2, 2, 2, 3, 3, 5, 5, 10]);
    for (const n of [12, 20, 30, 50, 100, 1000]) {
      const heardPerTick = (n - 1) / helloEveryTicks(n);
      expect(heardPerTick).toBeLessThanOrEqual(10);
      expect(heardPerTick).toBeGreaterThan(5); // not slower than it needs to be
    }
  });
});
