import { describe, expect, it } from 'vitest';
import { createRng, dirichlet, partitionSites, stratifiedSplit } from '../../src/models/index.js';

describe('splits', () => {
  const labels = Int32Array.from({ length: 100 }, (_, i) => (i < 60 ? 0 : i < 90 ? 1 : 2));

  it('stratifies: each class contributes round(fraction × size) test rows, deterministically by seed', () => {
    const s = stratifiedSplit(labels, { testFraction: 0.2, seed: 7 });
    const count = (idx: number[], k: number) => idx.filter((i) => labels[i] === k).length;
    expect([count(s.test, 0), count(s.test, 1), count(s.test, 2)]).toEqual([12, 6, 2]);
    expect(s.train.length + s.test.length).toBe(100);
    expect(new Set([...s.train, ...s.test]).size).toBe(100);
    expect(stratifiedSplit(labels, { testFraction: 0.2, seed: 7 })).toEqual(s);
    expect(stratifiedSplit(labels, { testFraction: 0.2, seed: 8 }).test).not.toEqual(s.test);
  });

  it('keeps a group on one side', () => {
    const groups = Array.from({ length: 100 }, (_, i) => `p${Math.floor(i / 2)}`);
    const s = stratifiedSplit(labels, { testFraction: 0.25, seed: 1, groups });
    const testGroups = new Set(s.test.map((i) => groups[i]));
    expect(s.train.some((i) => testGroups.has(groups[i]))).toBe(false);
  });

  it('partitions rows across sites without overlap, groups intact, every site non-empty', () => {
    const rows = Array.from({ length: 100 }, (_, i) => i);
    const groups = rows.map((i) => `p${Math.floor(i / 2)}`);
    for (const mode of ['random', 'dirichlet'] as const) {
      const sites = partitionSites(labels, rows, { sites: 5, seed: 3, groups, mode, alpha: 0.5 });
      expect(sites.flat().sort((a, b) => a - b)).toEqual(rows);
      expect(sites.every((s) => s.length > 0)).toBe(true);
      const siteOf = new Map<string, number>();
      sites.forEach((s, k) =>
        s.forEach((r) => {
          expect(siteOf.get(groups[r]) ?? k).toBe(k);
          siteOf.set(groups[r], k);
        }),
      );
    }
  });

  it('draws Dirichlet shares that sum to 1 with the right mean', () => {
    const rng = createRng(11);
    const mean = [0, 0, 0];
    for (let t = 0; t < 4000; t++) dirichlet(3, 0.5, rng).forEach((p, i) => (mean[i] += p / 4000));
    for (const m of mean) expect(m).toBeCloseTo(1 / 3, 1);
    const one = dirichlet(4, 0.5, rng);
    expect(one.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});
