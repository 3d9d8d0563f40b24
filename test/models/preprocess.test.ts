import { describe, expect, it } from 'vitest';
import {
  applyStandardizer,
  computeFeatureStats,
  mergeFeatureStats,
  parseCsv,
  alignColumns,
  standardizerFromJSON,
  standardizerFromStats,
  standardizerToJSON,
  statsFromTensors,
  statsToTensors,
} from '../../src/models/index.js';

describe('preprocessing', () => {
  // column a: 1, 3, NaN → mean 2, std 1; column b: 5, 5, 5 → constant → std 1
  const x = Float32Array.from([1, 5, 3, 5, NaN, 5]);

  it('imputes missing values with the train mean and z-scores with population std', () => {
    const s = standardizerFromStats(computeFeatureStats(x, 3, 2), ['a', 'b']);
    expect(Array.from(s.mean)).toEqual([2, 5]);
    expect(Array.from(s.std)).toEqual([1, 1]);
    expect(Array.from(applyStandardizer(s, x, 3, 2))).toEqual([-1, 0, 1, 0, 0, 0]);
  });

  it('uses only the given train rows', () => {
    const s = standardizerFromStats(computeFeatureStats(x, 3, 2, [0]), ['a', 'b']);
    expect(s.mean[0]).toBe(1);
  });

  it("merging two sites' stats equals the stats of their union", () => {
    const a = computeFeatureStats(x, 3, 2, [0]);
    const b = computeFeatureStats(x, 3, 2, [1, 2]);
    const merged = mergeFeatureStats(a, b);
    const all = computeFeatureStats(x, 3, 2);
    expect(merged).toEqual(all);
    expect(statsFromTensors(statsToTensors(all))).toEqual(all);
  });

  it('round-trips through JSON and aligns reordered columns, refusing missing ones', () => {
    const s = standardizerFromStats(computeFeatureStats(x, 3, 2), ['a', 'b']);
    expect(standardizerFromJSON(standardizerToJSON(s))).toEqual(s);
    const ds = parseCsv('b,extra,a,label\n5,9,1,x\n5,9,3,y\n');
    expect(Array.from(alignColumns(s, ds))).toEqual([1, 5, 3, 5]);
    expect(() => alignColumns(s, parseCsv('b,label\n1,x\n2,y\n'))).toThrow(/lacks 1 feature column/);
    expect(() => standardizerFromJSON({ featureNames: ['a'], mean: [], std: [] })).toThrow(/preprocessing/);
  });
});
