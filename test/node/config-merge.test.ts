import { describe, expect, it } from 'vitest';
import { base, problems } from '../helpers/swarm-config.js';
import { SwarmConfigSchema } from '../../src/node/index.js';

describe('swarm config: robust merge keys', () => {
  it('defaults to fedavg with no bounds', () => {
    const c = SwarmConfigSchema.parse(base);
    expect(c.merge).toBe('fedavg');
    expect([c.trim, c.clipNorm, c.maxUpdateNorm, c.normMultiple, c.maxSampleWeight]).toEqual(
      Array(5).fill(undefined),
    );
  });

  it('accepts each rule with its parameter and the validation bounds', () => {
    expect(problems({ merge: 'median', maxUpdateNorm: 50, normMultiple: 3, maxSampleWeight: 0.4 })).toEqual(
      [],
    );
    expect(problems({ merge: 'trimmed-mean', trim: 1 })).toEqual([]);
    expect(problems({ merge: 'trimmed-mean', trim: 0.2 })).toEqual([]);
    expect(problems({ merge: 'clipped-fedavg', clipNorm: 5 })).toEqual([]);
  });

  it('says which parameter a rule needs, and refuses one that belongs to another rule', () => {
    expect(problems({ merge: 'trimmed-mean' })).toEqual([
      'trim: merge trimmed-mean needs trim: a count dropped at each end (e.g. 1) or a fraction (e.g. 0.2)',
    ]);
    expect(problems({ merge: 'clipped-fedavg' })[0]).toMatch(
      /^clipNorm: merge clipped-fedavg needs clipNorm/,
    );
    expect(problems({ merge: 'median', trim: 1 })).toEqual([
      'trim: trim applies only to merge: trimmed-mean (merge is median)',
    ]);
    expect(problems({ clipNorm: 1 })[0]).toMatch(/clipNorm applies only to merge: clipped-fedavg/);
  });

  it('refuses a trim count that minPeers cannot satisfy, and values out of range', () => {
    expect(problems({ merge: 'trimmed-mean', trim: 2 })[0]).toMatch(
      /^trim: trim 2 drops 4 .* raise minPeers \(now 3\) or lower trim/,
    );
    expect(problems({ merge: 'trimmed-mean', trim: 0.5 })[0]).toMatch(/count .* or a fraction/);
    expect(problems({ merge: 'trimmed-mean', trim: 1.5 })[0]).toMatch(/count .* or a fraction/);
    expect(problems({ merge: 'krum' })[0]).toMatch(/^merge: /);
    expect(problems({ maxUpdateNorm: 0 })).toEqual(['maxUpdateNorm: maxUpdateNorm must be positive']);
    expect(problems({ normMultiple: 0.5 })[0]).toMatch(/at least 1/);
    expect(problems({ maxSampleWeight: 1.2 })).toEqual([
      'maxSampleWeight: maxSampleWeight is a fraction in (0, 1]',
    ]);
  });
});
