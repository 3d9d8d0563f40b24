import { describe, expect, it } from 'vitest';
import {
  autoDegree,
  exposureProbability,
  gossipCopies,
  maskDegree,
  roundCost,
} from '../../bench/scale/model.js';

const MB = 1e6;

describe('the cost-per-round model', () => {
  it('counts gossip copies as the author flood plus mesh forwards: 16 at 5 peers (as measured), 174 at 30', () => {
    expect(gossipCopies(5)).toBe(4 * 4);
    expect(gossipCopies(30)).toBe(29 * 6);
  });

  it('pulls a multi-chunk update at the floor of n − 1 copies and compares with ring all-reduce 2(n − 1)/n', () => {
    const c = roundCost({ peers: 5, modelBytes: 10 * MB, aggregation: 'plain' });
    expect(c.transfer).toBe('pulled');
    expect(c.appBytes).toBe(40 * MB);
    expect(c.wireBytes).toBe(40 * MB);
    expect(c.ringAllReduceBytes).toBe(16 * MB); // 2·4/5 × 10 MB
    // 1 manifest + 4 peers × 10 chunks answered + 4 × 10 requested + one commit in 5
    expect(c.messages).toBeCloseTo(1 + 80 + 0.2, 10);
  });

  it('pushes only updates of at most 64 KiB by gossip: a 1 MB update is pulled (19 copies at 20 sites, not 114)', () => {
    const small = roundCost({ peers: 20, modelBytes: 64 * 1024, aggregation: 'plain' });
    expect(small.transfer).toBe('gossip');
    expect(small.wireBytes).toBe(64 * 1024 * 19 * 6);
    const large = roundCost({ peers: 20, modelBytes: 1 * MB, aggregation: 'plain' });
    expect(large.transfer).toBe('pulled');
    expect(large.wireBytes).toBe(19 * MB);
    // 1 manifest + 19 peers × 1 chunk answered + 19 requested + one commit in 20
    expect(large.messages).toBeCloseTo(1 + 38 + 0.05, 10);
  });

  it('sends a secure update as 7-byte residues: a 1 MB model becomes 2 chunks, pulled', () => {
    const c = roundCost({ peers: 10, modelBytes: 1 * MB, aggregation: 'secure' });
    expect(c.transfer).toBe('pulled');
    expect(c.appBytes).toBeGreaterThan(9 * 1.75 * MB);
    expect(c.degree).toBe(9);
    expect(c.threshold).toBe(10 - 3); // ⌊0.34 · 10⌋ = 3 dropouts tolerated
    expect(c.expansions).toBe(10 + 10);
  });

  it('chooses the SecAgg+ degree 2⌈log2 n⌉ + 2, the complete graph up to n = 11', () => {
    expect([10, 11, 12, 30, 50, 100].map(autoDegree)).toEqual([9, 10, 10, 12, 14, 16]);
    expect(maskDegree(30, 'all')).toBe(29);
    expect(maskDegree(30, 8)).toBe(8);
  });

  it('gives the hypergeometric tail scipy gives for colluders among a random neighbourhood', () => {
    // scipy.stats.hypergeom(n − 1, c, k).sf(t − 1)
    expect(exposureProbability(50, 16, 14, 10)).toBeCloseTo(0.0005220278660757142, 12);
    expect(exposureProbability(100, 33, 16, 12)).toBeCloseTo(0.00025101481183829085, 12);
    expect(exposureProbability(30, 10, 12, 9)).toBeCloseTo(0.00019001488266855583, 12);
    // complete graph: colluders unmask a site only when they are t or more
    expect(exposureProbability(30, 19, 29, 20)).toBe(0);
    expect(exposureProbability(30, 20, 29, 20)).toBe(1);
  });
});
