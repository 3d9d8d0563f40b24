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
    // maxUpdateNorm is kept: each site clips its own update before masking.
    expect(problems({ aggregation: 'secure', maxUpdateNorm: 5, normMultiple: 3 })).toEqual([
      'normMultiple: normMultiple needs each update in the clear, which secure aggregation hides from ' +
        'every member: remove it or use aggregation: plain',
    ]);
    // The same settings are fine with plain aggregation.
    expect(problems({ merge: 'median', maxUpdateNorm: 5 })).toEqual([]);
  });

  it('refuses a swarm or a dropout fraction that tolerates nothing, and two-site rounds', () => {
    // The threshold comes from the member list (5), never from a smaller roster.
    expect(problems({ aggregation: 'secure', secure: { dropoutFraction: 0.1 } })).toEqual([
      'secure: with 5 members (5 share holders each): a dropout fraction of 0.1 tolerates no dropout ' +
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

  it('refuses a maxColluders under which colluders could isolate one honest update', () => {
    // 5 members, dropoutFraction 0.34: t = 5 − ⌊1.7⌋ = 4; minPeers 3, so a reveal needs max(4, 3) = 4 senders.
    const secure = (maxColluders: number) => ({ aggregation: 'secure', secure: { maxColluders } });
    expect(problems(secure(2))).toEqual([]); // 4 senders − 2 colluders = 2 honest updates in every sum
    expect(problems(secure(3))).toEqual([
      'secure: maxColluders 3: the smallest unmasked sum has 4 senders, of which 3 may collude: it leaves 1 ' +
        'honest update(s), which they read exactly; raise minPeers to at least 5 or lower maxColluders',
    ]);
    expect(problems(secure(4))[0]).toMatch(
      /^secure: maxColluders 4: 4 colluders hold 4 shares of every honest site's secrets, and the threshold is 4/,
    );
    // 3 sites (t = 2, 3 senders): one colluder reads only the sum of the other two; two read the third.
    const three = { members: base.members.slice(0, 3), aggregation: 'secure' };
    expect(problems({ ...three, secure: { maxColluders: 1 } })).toEqual([]);
    expect(problems({ ...three, secure: { maxColluders: 2 } })).toHaveLength(2);
  });
});
