import { describe, expect, it } from 'vitest';
import { runFuzzSoak } from '../../bench/soak/fuzz.js';

// The short version of `npm run soak:fuzz`: a member sends 500 mutated and random wire messages of every type,
// 25 a second: the flood spans several rounds (one lasts up to roundDeadlineMs 8 s while the member is live).
describe('fuzz soak (short)', () => {
  it('keeps two honest daemons up and committing through 500 hostile messages of every type', async () => {
    const lines: string[] = [];
    const r = await runFuzzSoak({ messages: 500, seed: 7, rate: 25, say: (l) => lines.push(l) });
    expect(r.problems, lines.join('\n')).toEqual([]);
    expect(r.kinds).toBe(40); // 8 message types × 5 mutations
    expect(r.commitsDuring).toBeGreaterThanOrEqual(1);
    expect(r.commitsAfter).toBeGreaterThanOrEqual(2);
    // The hostile messages were seen and refused, not silently lost.
    expect(Object.values(r.dropped).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    for (const v of r.logVerdicts) expect(v).toMatch(/^OK: rounds 0\.\.\d+, chain intact/);
  }, 600_000);
});
