import { describe, expect, it } from 'vitest';
import { chooseGraphDegree, chooseThreshold, maskGraph } from '../../src/swarm/protocol/index.js';
import { ids } from './secagg-harness.js';

describe('chooseThreshold', () => {
  it('t = n − ⌊fraction · n⌋', () => {
    expect(chooseThreshold(3, 0.34)).toEqual({ threshold: 2, toleratedDropouts: 1 });
    expect(chooseThreshold(5, 0.2)).toEqual({ threshold: 4, toleratedDropouts: 1 });
    expect(chooseThreshold(10, 0.3)).toEqual({ threshold: 7, toleratedDropouts: 3 });
    expect(chooseThreshold(10, 0.49)).toEqual({ threshold: 6, toleratedDropouts: 4 });
  });

  it('refuses configs that tolerate nothing, fall below a majority, or have fewer than 3 holders', () => {
    expect(() => chooseThreshold(5, 0.1)).toThrow(/tolerates no dropout among 5; raise it to at least 0.200/);
    expect(() => chooseThreshold(10, 0.5)).toThrow(/below a majority \(6\); tolerate at most 4/);
    expect(() => chooseThreshold(2, 0.5)).toThrow(/at least 3 contributors/);
    expect(() => chooseThreshold(5, 1)).toThrow(/\[0, 1\)/);
  });
});

describe('SecAgg+ mask graph', () => {
  it('is symmetric, k-regular and the same for the same seed', () => {
    const peers = ids(40);
    const k = chooseGraphDegree(40);
    expect(k).toBe(14); // 2⌈log2 40⌉ + 2
    const g = maskGraph(peers, k, new Uint8Array(32).fill(1));
    for (const [id, links] of g) {
      expect(links.length).toBe(k);
      expect(links).not.toContain(id);
      for (const other of links) expect(g.get(other)).toContain(id);
    }
    expect(maskGraph([...peers].reverse(), k, new Uint8Array(32).fill(1))).toEqual(g);
    expect(maskGraph(peers, k, new Uint8Array(32).fill(2))).not.toEqual(g);
  });

  it('is the complete graph for small swarms', () => {
    expect(chooseGraphDegree(10)).toBe(9);
    const g = maskGraph(ids(4), 3, new Uint8Array(32));
    expect(g.get(ids(4)[0])).toEqual(ids(4).slice(1));
  });
});
