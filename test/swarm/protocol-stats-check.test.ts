import { describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import { computeFeatureStats, statsToTensors } from '../../src/models/index.js';
import { STATS_TENSORS, validateStatsRound } from '../../src/swarm/protocol/index.js';

// Round-0 statistics as sites compute them (models' computeFeatureStats over their rows), checked the way
// every peer checks them before the sums are merged.
const site = (peerId: string, rows: number[][]) => {
  const cols = rows[0].length;
  const stats = computeFeatureStats(Float32Array.from(rows.flat()), rows.length, cols);
  return { peerId, samples: rows.length, tensors: statsToTensors(stats) };
};
const a = site('peer-a', [
  [1, 2],
  [3, NaN],
  [5, 6],
]);
const b = site('peer-b', [
  [2, 1],
  [4, 4],
]);
const c = site('peer-c', [
  [0, 3],
  [1, 5],
  [2, 2],
  [3, 8],
]);

function edit(s: typeof a, name: string, j: number, v: number): typeof a {
  const tensors: NamedTensors = new Map(s.tensors);
  const t = tensors.get(name)!;
  const data = Float32Array.from(t.data);
  data[j] = v;
  tensors.set(name, { shape: t.shape, data });
  return { ...s, tensors };
}

describe('round-0 statistics validation', () => {
  it('names the tensors the models layer writes', () => {
    expect([...a.tensors.keys()].sort()).toEqual(Object.values(STATS_TENSORS).sort());
  });

  it('accepts what real rows give, missing values included', () => {
    // Hand-checked: peer-a feature 1 has 2 values (2, 6) and 1 missing; sums 8, squares 40.
    expect([...a.tensors.get(STATS_TENSORS.count)!.data]).toEqual([3, 2]);
    expect([...a.tensors.get(STATS_TENSORS.sumSq)!.data]).toEqual([35, 40]);
    const v = validateStatsRound([c, a, b]);
    expect(v.excluded).toEqual([]);
    expect(v.accepted.map((x) => x.peerId)).toEqual(['peer-a', 'peer-b', 'peer-c']);
  });

  it('leaves out a sum of squares of 1e30 and says why', () => {
    const v = validateStatsRound([a, b, edit(c, STATS_TENSORS.sumSq, 1, 1e30)]);
    expect(v.accepted.map((x) => x.peerId)).toEqual(['peer-a', 'peer-b']);
    expect(v.excluded).toEqual([
      {
        peerId: 'peer-c',
        reason: 'stats-range',
        detail: "feature 1: root mean square 5.00e+14 is over 100 × the median site's 4.47",
      },
    ]);
  });

  it('leaves out counts no dataset has, sums past Cauchy–Schwarz, and non-finite values', () => {
    const cases: [typeof a, string][] = [
      [edit(a, STATS_TENSORS.count, 0, 4), 'stats-count'], // 4 values in 3 rows
      [edit(a, STATS_TENSORS.count, 0, 2.5), 'stats-count'],
      [edit(a, STATS_TENSORS.missing, 1, 2), 'stats-count'], // 2 present + 2 missing > 3 rows
      [edit(a, STATS_TENSORS.sum, 0, 100), 'stats-range'], // 100² > 3 × 35
      [edit(a, STATS_TENSORS.sumSq, 0, -1), 'stats-range'],
      [edit(a, STATS_TENSORS.sum, 1, Number.POSITIVE_INFINITY), 'non-finite'],
    ];
    for (const [bad, reason] of cases) {
      const v = validateStatsRound([bad, b, c]);
      expect(v.excluded.map((x) => [x.peerId, x.reason])).toEqual([['peer-a', reason]]);
    }
  });

  it('cannot single out a site by the median rule with two sites: only what one site alone can be checked', () => {
    const v = validateStatsRound([a, edit(b, STATS_TENSORS.sumSq, 1, 1e30)]);
    expect(v.excluded).toEqual([]);
  });
});
