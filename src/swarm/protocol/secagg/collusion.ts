/*
 * What c colluding members (who may lie, and may hold the aggregator's turn) can learn, from the swarm's
 * member list alone: the threshold and the fewest senders a reveal is given for are fixed by it, not by the
 * roster a publisher picks, so the bound holds in every round. Three ways colluders could isolate one honest
 * update, each refused: hold t shares of an honest secret themselves (c ≥ t); have a sum unmasked whose
 * honest part is one site (minSenders − c < 2); reveal one site's seed and key shares through two sender
 * sets (prevented by the consistency quorum, which exceeds (n + c) / 2 — see consistency.ts).
 */
export interface CollusionBounds {
  /** Members on the swarm's list. */
  members: number;
  /** Shamir threshold t (from the member list). */
  threshold: number;
  /** Fewest senders a reveal is given for: max(t, minPeers). */
  minSenders: number;
  /** c: members that may collude and lie. */
  maxColluders: number;
}

/** ⌊(n − 1)/3⌋, the usual Byzantine bound; 0 for 3 sites (safe against one curious, not one lying, member). */
export function defaultMaxColluders(members: number): number {
  return Math.max(0, Math.floor((members - 1) / 3));
}

/** The fewest senders anything is revealed for. */
export function minSenders(threshold: number, minPeers: number): number {
  return Math.max(threshold, minPeers);
}

/** Why c colluders could isolate one honest update under these bounds; empty when they cannot. */
export function collusionProblems(b: CollusionBounds): string[] {
  const { members: n, threshold: t, minSenders: m, maxColluders: c } = b;
  const problems: string[] = [];
  if (!Number.isInteger(c) || c < 0) return [`maxColluders ${c} must be an integer ≥ 0`];
  if (c >= t) {
    problems.push(
      `${c} colluders hold ${c} shares of every honest site's secrets, and the threshold is ${t}: they ` +
        `rebuild its masks alone; lower maxColluders below ${t} or raise the threshold (lower dropoutFraction)`,
    );
  }
  if (m - c < 2) {
    problems.push(
      `the smallest unmasked sum has ${m} senders, of which ${c} may collude: it leaves ${Math.max(0, m - c)} ` +
        `honest update(s), which they read exactly; raise minPeers to at least ${c + 2} or lower maxColluders`,
    );
  }
  if (c >= n) problems.push(`maxColluders ${c} is not below the ${n} members`);
  return problems;
}
