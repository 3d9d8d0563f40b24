import type { Contribution } from './contributions.js';

/** A site whose merge weight was lowered: it claimed `claimed` samples and is weighed as `samples`. */
export interface SampleCap {
  peerId: string;
  claimed: number;
  samples: number;
}

/**
 * Lowers the sample counts of sites that would carry more than `maxWeight` of the total (water-filling: the
 * capped sites share the level c = maxWeight · Σ uncapped / (1 − maxWeight · |capped|), floored to an
 * integer; the cap holds up to that rounding). When every site would be capped (maxWeight < 1 / n), all
 * weigh the same.
 * Contributions keep their order; counts stay positive integers, so the merges accept them.
 */
export function capSampleWeights(
  contributions: readonly Contribution[],
  maxWeight: number | undefined,
): { contributions: Contribution[]; caps: SampleCap[] } {
  if (maxWeight === undefined || maxWeight >= 1 || contributions.length === 0)
    return { contributions: [...contributions], caps: [] };
  const level = cappedLevel(
    contributions.map((c) => c.samples),
    maxWeight,
  );
  if (level === null) return { contributions: [...contributions], caps: [] };
  const caps: SampleCap[] = [];
  const out = contributions.map((c) => {
    if (c.samples <= level) return c;
    caps.push({ peerId: c.peerId, claimed: c.samples, samples: level });
    return { ...c, samples: level };
  });
  return { contributions: out, caps };
}

/** The integer sample count no site may exceed, or null when nobody exceeds maxWeight. */
function cappedLevel(samples: readonly number[], maxWeight: number): number | null {
  const desc = [...samples].sort((a, b) => b - a);
  let cappedCount = 0;
  let uncapped = desc.reduce((s, x) => s + x, 0);
  for (;;) {
    if (cappedCount === desc.length) return desc[desc.length - 1]; // every site capped: equal weights
    const c = (maxWeight * uncapped) / (1 - maxWeight * cappedCount);
    if (maxWeight * cappedCount >= 1 || desc[cappedCount] > c) {
      uncapped -= desc[cappedCount];
      cappedCount++;
      continue;
    }
    return cappedCount === 0 ? null : Math.max(1, Math.floor(c));
  }
}
