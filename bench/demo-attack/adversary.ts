import { fileURLToPath } from 'node:url';
import { Option, type Command } from 'commander';
import { InputError } from '../../src/core/index.js';
import { DEMO_RANGES, type DemoVariant } from '../../src/cli/demo-command.js';
import { num } from '../../src/cli/options.js';
import type { DemoAdversary, DemoMerge, StatusSnapshot } from '../../src/node/index.js';
import { ATTACKS, parseAttack, type AttackName } from '../attacks.js';

/*
 * The attack demo (`npm run demo:attack -- --attack nan --attackers 1 --merge median`): `swarmd demo` with
 * its last f sites started from site.ts, the daemon built with the attacking round work, and a report of
 * what the honest sites left out. The sites' defence is the product's; the attackers are not.
 */

/** `--attack <name> --attackers <f>`: the last f demo sites send poisoned updates. */
export interface DemoAttack {
  name: AttackName;
  attackers: number;
}

// From dist/ the entry is site.js beside this file; from the TypeScript sources (tests) use the build.
const SITE_ENTRY = import.meta.url.endsWith('.ts')
  ? fileURLToPath(new URL('../../dist/bench/demo-attack/site.js', import.meta.url))
  : fileURLToPath(new URL('./site.js', import.meta.url));

/** The demo's variant: its flags `--attack` (required) and `--attackers`, and the attacking sites. */
export const attackVariant: DemoVariant = {
  options: (cmd: Command) =>
    cmd
      .addOption(
        new Option('--attack <name>', 'what the attacking sites send')
          .choices([...ATTACKS])
          .makeOptionMandatory(),
      )
      .option('--attackers <f>', 'how many sites (the last ones) attack', num(DEMO_RANGES.sites), 1),
  adversary: (flags) =>
    demoAdversary(flags.sites, flags.merge, {
      name: parseAttack(String(flags.attack)),
      attackers: Number(flags.attackers),
    }),
};

/** The attacking sites of a demo of `sites` sites merging with `merge`. */
function demoAdversary(sites: number, merge: DemoMerge, attack: DemoAttack): DemoAdversary {
  const attackers = attackerIndices(sites, attack);
  return {
    sites: attackers,
    role: `ATTACKER (${attack.name})`,
    entry: [SITE_ENTRY, '--attack', attack.name],
    swarm: defenceSettings(sites, merge, attack),
    report: (names, statuses) => formatDefenceReport(attack, names, attackers, statuses),
  };
}

/** Indices of the attacking sites: the last f, so the first site (whose model the table scores) is honest. */
function attackerIndices(sites: number, attack: DemoAttack): number[] {
  const f = attack.attackers;
  if (f < 0 || f >= sites) {
    throw new InputError(
      'DEMO_ATTACKERS',
      `--attackers ${f} must leave at least one honest site of ${sites}`,
    );
  }
  return Array.from({ length: f }, (_, i) => sites - f + i);
}

/**
 * The swarm.yaml keys of the honest sites' defence: validation bounds (norm within 3 × the round's median, a
 * site's weight at most 1.5 / sites), a trim that covers the attackers, and a quorum of the honest sites so a
 * round commits without the excluded updates.
 */
function defenceSettings(sites: number, merge: DemoMerge, attack: DemoAttack): Record<string, unknown> {
  const f = attack.attackers;
  return {
    ...(merge === 'trimmed-mean' ? { trim: Math.min(0.49, (f + 0.01) / sites) } : {}),
    normMultiple: 3,
    maxSampleWeight: Math.min(1, 1.5 / sites),
    minPeers: sites - f,
  };
}

/**
 * Which sites attacked, and what was left out: the exclusions the applied commits named (every site checks
 * them when it recomputes the commit), as an honest site counts them per member.
 */
function formatDefenceReport(
  attack: DemoAttack,
  names: string[],
  attackers: number[],
  statuses: StatusSnapshot[],
): string {
  const lines = [`attackers: ${attackers.map((i) => names[i]).join(', ')} (attack ${attack.name})`];
  const excluded: Record<string, number> = {};
  const other: Record<string, number> = {};
  const add = (to: Record<string, number>, reason: string, n: number) => (to[reason] = (to[reason] ?? 0) + n);
  // Masked vectors an aggregator could not unmask (aggregation: secure) are counted where they were dropped.
  for (const s of statuses) {
    for (const [reason, n] of Object.entries(s.dropped)) {
      // Not a prefix match: `excluded-contributor` is a rejected commit, not an excluded update.
      if (reason === 'excluded-secagg') add(excluded, 'secagg', n);
      else add(other, reason, n);
    }
  }
  // Every site applies the same commits, which name what they left out: one honest site's count is the swarm's.
  const honest = statuses.find((_, i) => !attackers.includes(i));
  for (const m of honest?.members ?? []) {
    for (const [reason, n] of Object.entries(m.excluded ?? {})) add(excluded, reason, n);
  }
  const counts = Object.entries(excluded).sort(([a], [b]) => a.localeCompare(b));
  lines.push(
    counts.length === 0
      ? 'excluded by validation: nothing (every update passed)'
      : `excluded by validation: ${counts.map(([r, n]) => `${n} update(s) for ${r}`).join(', ')}`,
  );
  const drops = Object.entries(other).sort(([a], [b]) => a.localeCompare(b));
  if (drops.length) lines.push(`other messages dropped: ${drops.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  const last = honest?.lastCommit;
  if (last) {
    const byPeer = new Map(statuses.map((s, i) => [s.peerId, names[i]]));
    const inCommit = last.contributors.map((c) => byPeer.get(c.peerId) ?? c.peerId.slice(0, 12)).sort();
    const left = attackers.map((i) => names[i]).filter((n) => !inCommit.includes(n));
    lines.push(
      `last commit (round ${last.round}) merged ${inCommit.join(', ')}` +
        (left.length ? `; left out: ${left.join(', ')}` : '; every attacker was merged'),
    );
  }
  return lines.join('\n');
}
