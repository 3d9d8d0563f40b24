import { InputError } from '../core/index.js';
import { MODEL_MERGE_METHODS, type MergeMethod } from '../swarm/index.js';
import { ATTACKS, type AttackName } from './attacks.js';
import { DEMO_ATTACK_ENV } from './attack-work.js';
import type { StatusSnapshot } from './status/index.js';

/** `swarmd demo --attack <name> --attackers <f>`: the last f demo sites send poisoned updates. */
export interface DemoAttack {
  name: AttackName;
  attackers: number;
}

export type DemoMerge = Exclude<MergeMethod, 'sum'>;

/** The demo's `--merge`, `--attack` and `--attackers` flags; an unknown name is an InputError listing the known. */
export function parseDemoDefence(o: { merge: string; attack?: string; attackers: number }): {
  merge: DemoMerge;
  attack: DemoAttack | undefined;
} {
  if (!(MODEL_MERGE_METHODS as readonly string[]).includes(o.merge))
    throw new InputError('DEMO_MERGE', `--merge ${o.merge}: use one of ${MODEL_MERGE_METHODS.join(', ')}`);
  const merge = o.merge as DemoMerge;
  if (o.attack === undefined) return { merge, attack: undefined };
  if (!(ATTACKS as readonly string[]).includes(o.attack))
    throw new InputError('DEMO_ATTACK', `--attack ${o.attack}: use one of ${ATTACKS.join(', ')}`);
  return { merge, attack: { name: o.attack as AttackName, attackers: o.attackers } };
}

/** Indices of the attacking sites: the last f, so the first site (whose model the table scores) is honest. */
export function attackerIndices(sites: number, attack: DemoAttack | undefined): number[] {
  const f = attack?.attackers ?? 0;
  if (f < 0 || f >= sites) {
    throw new InputError(
      'DEMO_ATTACKERS',
      `--attackers ${f} must leave at least one honest site of ${sites}`,
    );
  }
  return Array.from({ length: f }, (_, i) => sites - f + i);
}

/** The environment of site i: the attack for an attacker, nothing for an honest site. */
export function siteEnv(i: number, attackers: number[], attack: DemoAttack | undefined): NodeJS.ProcessEnv {
  return attack && attackers.includes(i) ? { [DEMO_ATTACK_ENV]: attack.name } : {};
}

/**
 * The swarm.yaml keys of the demo's merge and defence: the merge rule with its parameter, validation bounds
 * (norm within 3 × the round's median, a site's weight at most 1.5 / sites), and a quorum of the honest
 * sites so a round commits without the excluded updates.
 */
export function demoMergeSettings(
  sites: number,
  merge: DemoMerge,
  attack: DemoAttack | undefined,
): Record<string, unknown> {
  if (merge === 'clipped-fedavg') {
    throw new InputError(
      'DEMO_MERGE',
      'the demo cannot run clipped-fedavg yet: the daemon has no reference model to clip against in round 1; ' +
        'use fedavg, median or trimmed-mean',
    );
  }
  const f = attack?.attackers ?? 0;
  return {
    merge,
    ...(merge === 'trimmed-mean' ? { trim: f === 0 ? 0.2 : Math.min(0.49, (f + 0.01) / sites) } : {}),
    ...(attack ? { normMultiple: 3, maxSampleWeight: Math.min(1, 1.5 / sites) } : {}),
    minPeers: sites - f,
  };
}

/**
 * Which sites attacked, and what was left out: the exclusions the applied commits named (every site checks
 * them when it recomputes the commit), as an honest site counts them per member.
 */
export function formatDefenceReport(
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
