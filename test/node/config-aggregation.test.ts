import { describe, expect, it } from 'vitest';
import { base, problems } from '../helpers/swarm-config.js';
import { SwarmConfigSchema } from '../../src/node/index.js';

describe('swarm config: aggregation', () => {
  it('defaults to plain, and secure to a third of dropouts over the complete graph', () => {
    expect(SwarmConfigSchema.parse(base).aggregation).toBe('plain');
    const c = SwarmConfigSchema.parse({ ...base, aggregation: 'secure' });
    expect(c.secure).toEqual({ dropoutFraction: 0.34, graphDegree: 'all' });
    expect(
      problems({ aggregation: 'secure', secure: { dropoutFraction: 0.4, graphDegree: 'auto' } }),
    ).toEqual([]);
  });

  it('refuses robust merges and per-update bounds with secure aggregation, saying why', () => {
    expect(problems({ aggregation: 'secure', merge: 'median' })).toEqual([
      'merge: merge median needs each update in the clear, which secure aggregation hides from every ' +
        'member: use aggregation: plain for robust merges',
    ]);
    expect(problems({ aggregation: 'secure', merge: 'trimmed-mean', trim: 1 })[0]).toMatch(
      /^merge: merge trimmed-mean needs each update in the clear.*aggregation: plain/,
    );
    expect(problems({ aggregation: 'secure', merge: 'clipped-fedavg', clipNorm: 2 })[0]).toMatch(
      /^merge: merge clipped-fedavg needs each update in the clear/,
    );
    expect(problems({ aggregation: 'secure', maxUpdateNorm: 5, normMultiple: 3 })).toEqual([
      'maxUpdateNorm: maxUpdateNorm needs each update in the clear, which secure aggregation hides from ' +
        'every member: remove it or use aggregation: plain',
      'normMultiple: normMultiple needs each update in the clear, which secure aggregation hides from ' +
        'every member: remove it or use aggregation: plain',
    ]);
    // The same settings are fine with plain aggregation.
    expect(problems({ merge: 'median', maxUpdateNorm: 5 })).toEqual([]);
  });

  it('refuses a swarm or a dropout fraction that tolerates nothing, and two-site rounds', () => {
    expect(problems({ aggregation: 'secure', secure: { dropoutFraction: 0.1 } })).toEqual([
      'secure: with 3 contributors (3 share holders each): a dropout fraction of 0.1 tolerates no dropout ' +
        'among 3; raise it to at least 0.333',
      'secure: with 5 contributors (5 share holders each): a dropout fraction of 0.1 tolerates no dropout ' +
        'among 5; raise it to at least 0.200',
    ]);
    expect(problems({ aggregation: 'secure', secure: { dropoutFraction: 0.5 } })[0]).toMatch(
      /dropoutFraction must be below 0.5/,
    );
    expect(problems({ aggregation: 'secure', minPeers: 2 })[0]).toMatch(
      /^minPeers: aggregation: secure needs minPeers ≥ 3/,
    );
    const two = { members: base.members.slice(0, 2), minPeers: 2, aggregation: 'secure' };
    expect(problems(two).join('\n')).toMatch(/needs at least 3 contributors per secret/);
  });
});
