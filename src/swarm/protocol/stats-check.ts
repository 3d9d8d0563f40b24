import { compareIds } from './ids.js';
import type { Contribution } from './contributions.js';
import type { Exclusion, RoundValidation } from './validate.js';

/*
 * Validation of the statistics round (round 0), the same at every peer, before the sums are merged: one
 * member's impossible statistics (sumSq = 1e30) would otherwise set the standardisation of every later
 * round. Per site and feature: values finite; counts and missing counts whole numbers, together within the site's rows;
 * sums a dataset can have (a zero count sums to zero, sumSq ≥ 0, Cauchy–Schwarz: sum² ≤ count·sumSq); and,
 * with three or more sites, a root mean square at most RMS_MULTIPLE times the sites' median for that feature.
 */

/** The tensors the statistics round carries (models/preprocess.ts writes them under these names). */
export const STATS_TENSORS = {
  count: 'stats/count',
  sum: 'stats/sum',
  sumSq: 'stats/sum_sq',
  missing: 'stats/missing',
} as const;

/** How far a site's RMS of a feature may lie above the median site's: wider than any batch effect. */
export const RMS_MULTIPLE = 100;

type Stats = { count: Float32Array; sum: Float32Array; sumSq: Float32Array; missing?: Float32Array };

export function validateStatsRound(
  contributions: readonly Contribution[],
  malformed: readonly Exclusion[] = [],
): RoundValidation {
  const sorted = [...contributions].sort((a, b) => compareIds(a.peerId, b.peerId));
  const excluded: Exclusion[] = [...malformed];
  const formed: { c: Contribution; s: Stats | null }[] = [];
  for (const c of sorted) {
    const problem = siteProblem(c);
    if (problem === null) formed.push({ c, s: statsOf(c) });
    else excluded.push({ peerId: c.peerId, ...problem });
  }
  const withStats = formed.filter((f): f is { c: Contribution; s: Stats } => f.s !== null);
  const outliers = withStats.length >= 3 ? rmsOutliers(withStats) : new Map<string, string>();
  const accepted: Contribution[] = [];
  for (const { c } of formed) {
    const detail = outliers.get(c.peerId);
    if (detail === undefined) accepted.push(c);
    else excluded.push({ peerId: c.peerId, reason: 'stats-range', detail });
  }
  excluded.sort((a, b) => compareIds(a.peerId, b.peerId) || compareIds(a.reason, b.reason));
  return { accepted, excluded, capped: [], reference: null };
}

/** The site's own statistics checked alone; null when they are possible. */
function siteProblem(c: Contribution): Omit<Exclusion, 'peerId'> | null {
  for (const [name, t] of c.tensors) {
    const i = t.data.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) return { reason: 'non-finite', detail: `${name}[${i}] is ${t.data[i]}` };
  }
  const s = statsOf(c);
  if (s === null) return null;
  const n = s.count.length;
  const sameLength = [s.sum, s.sumSq, s.missing].every((t) => t === undefined || t.length === n);
  if (!sameLength) return { reason: 'shape', detail: 'the statistics tensors differ in length' };
  for (let j = 0; j < n; j++) {
    const count = s.count[j];
    const missing = s.missing?.[j] ?? 0;
    if (!isCount(count, c.samples) || !isCount(missing, c.samples - count)) {
      const detail = `feature ${j}: count ${count} and missing ${missing} for ${c.samples} rows (whole numbers, together at most the rows)`;
      return { reason: 'stats-count', detail };
    }
    const [sum, sumSq] = [s.sum[j], s.sumSq[j]];
    if (sumSq < 0 || (count === 0 && (sum !== 0 || sumSq !== 0))) {
      return {
        reason: 'stats-range',
        detail: `feature ${j}: sum ${sum}, sum of squares ${sumSq} over ${count} values`,
      };
    }
    // Cauchy–Schwarz with float32 rounding room: no n values have a larger squared sum.
    if (sum * sum > count * sumSq * (1 + 1e-5) + 1e-6) {
      return {
        reason: 'stats-range',
        detail: `feature ${j}: sum² ${sum * sum} exceeds count × sum of squares ${count * sumSq}`,
      };
    }
  }
  return null;
}

/** Per feature, sites whose RMS is more than RMS_MULTIPLE × the median site's (features all-zero skipped). */
function rmsOutliers(sites: readonly { c: Contribution; s: Stats }[]): Map<string, string> {
  const out = new Map<string, string>();
  const n = Math.min(...sites.map((x) => x.s.count.length));
  for (let j = 0; j < n; j++) {
    const rms = sites.map(({ s }) => (s.count[j] > 0 ? Math.sqrt(s.sumSq[j] / s.count[j]) : 0));
    const median = [...rms].sort((a, b) => a - b)[rms.length >> 1];
    if (!(median > 0)) continue;
    sites.forEach(({ c }, i) => {
      if (rms[i] > RMS_MULTIPLE * median && !out.has(c.peerId)) {
        out.set(
          c.peerId,
          `feature ${j}: root mean square ${rms[i].toPrecision(3)} is over ${RMS_MULTIPLE} × the median site's ${median.toPrecision(3)}`,
        );
      }
    });
  }
  return out;
}

function statsOf(c: Contribution): Stats | null {
  const get = (name: string) => c.tensors.get(name)?.data as Float32Array | undefined;
  const [count, sum, sumSq] = [get(STATS_TENSORS.count), get(STATS_TENSORS.sum), get(STATS_TENSORS.sumSq)];
  if (count === undefined || sum === undefined || sumSq === undefined) return null;
  return { count, sum, sumSq, missing: get(STATS_TENSORS.missing) };
}

function isCount(v: number, rows: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= rows;
}
