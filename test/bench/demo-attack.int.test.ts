import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeScriptAsync } from '../helpers/cli.js';

const DEMO_ATTACK = 'dist/bench/demo-attack/index.js';

// `npm run demo:attack -- --attack nan --attackers 1`, small: three real daemons, the last one started from
// the harness's own entry point (its daemon built with the attacking round work) to send NaN weights. The
// honest sites, plain `swarmd start`, leave its updates out every round and still learn.
describe('the attack demo (npm run demo:attack)', () => {
  it('excludes a NaN attacker every round, reports it, and the swarm model stays sane', async () => {
    if (!existsSync(DEMO_ATTACK)) throw new Error(`${DEMO_ATTACK} is missing: run \`npm run build\``);
    const args = ['--sites', '3', '--rounds', '2', '--epochs-per-round', '1'];
    const r = await nodeScriptAsync(DEMO_ATTACK, [...args, '--attack', 'nan', '--attackers', '1'], {
      timeoutMs: 540_000,
    });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toMatch(/started site-c ATTACKER \(nan\)/);
    expect(r.stdout).toMatch(/^attackers: site-c \(attack nan\)$/m);
    // At least one exclusion per model round, counted by that round's aggregator.
    const excluded = /^excluded by validation: (\d+) update\(s\) for non-finite$/m.exec(r.stdout);
    expect(excluded, r.stdout).not.toBeNull();
    expect(Number(excluded![1])).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toMatch(/^last commit \(round 2\) merged site-a, site-b; left out: site-c$/m);
    const swarm = /^swarm \(3 sites, 2 rounds\)\s+([\d.]+)%/m.exec(r.stdout);
    expect(swarm, r.stdout).not.toBeNull();
    // A NaN model predicts one class (19 % here); two honest rounds of one epoch reach well above.
    expect(Number(swarm![1])).toBeGreaterThan(50);
  }, 600_000);

  it('refuses an unknown attack naming the known ones, before starting anything', async () => {
    if (!existsSync(DEMO_ATTACK)) throw new Error(`${DEMO_ATTACK} is missing: run \`npm run build\``);
    const r = await nodeScriptAsync(DEMO_ATTACK, ['--attack', 'flood'], { timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /'--attack <name>' argument 'flood' is invalid\. Allowed choices are nan, signflip/,
    );
    expect(r.stdout).not.toMatch(/started site/);
  });
});
