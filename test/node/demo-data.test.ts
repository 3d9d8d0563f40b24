import { describe, expect, it } from 'vitest';
import { siteName } from '../../src/node/index.js';

describe('site names for demos, tests and soaks', () => {
  it('runs a … z, then aa, ab, … like spreadsheet columns (a 30-site soak once produced "site-{")', () => {
    const got = [0, 1, 25, 26, 27, 29, 51, 52, 701, 702].map(siteName);
    expect(got).toEqual([
      ...['site-a', 'site-b', 'site-z', 'site-aa', 'site-ab', 'site-ad'],
      ...['site-az', 'site-ba', 'site-zz', 'site-aaa'],
    ]);
  });

  it('gives distinct names that a site config accepts, for any swarm size', () => {
    const names = Array.from({ length: 1000 }, (_, i) => siteName(i));
    expect(new Set(names).size).toBe(1000);
    for (const n of names) expect(n).toMatch(/^site-[a-z]+$/);
  });
});
