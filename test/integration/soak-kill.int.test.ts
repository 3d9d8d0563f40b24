import { describe, expect, it } from 'vitest';
import { runKillSoak } from '../../bench/soak/kill.js';

// The short version of `npm run soak:kill`: 5 SIGKILLs of random daemons of a 3-site swarm at random phases.
describe('kill soak (short)', () => {
  it('survives 5 SIGKILLs: databases open, peer ids kept, logs verify and agree, final models identical', async () => {
    const lines: string[] = [];
    const r = await runKillSoak({ kills: 5, seed: 7, maxDelayMs: 3000, say: (l) => lines.push(l) });
    expect(r.problems, lines.join('\n')).toEqual([]);
    expect(r.kills).toBe(5);
    expect(r.logVerdicts).toHaveLength(3);
    for (const v of r.logVerdicts)
      expect(v).toMatch(new RegExp(`^OK: rounds 0\\.\\.${r.finalRound}, chain intact`));
    expect(r.modelHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.tmpFilesLeft).toBe(0);
  }, 600_000);
});
