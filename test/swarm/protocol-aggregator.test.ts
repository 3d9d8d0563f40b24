import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/index.js';
import { aggregatorForAttempt, aggregatorOrder } from '../../src/swarm/protocol/index.js';
import { runPython } from '../helpers/python.js';

const peers = [
  '12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf',
  '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
  '12D3KooWHqDo8m4jxEjdkWhZcbBbXPBrvYHGdT8FTLqcrUnp5j8P',
  '12D3KooWLmLiB4AenmN2g2mHbhNrbUVu6ubCsgsqEqN8FcBb6eXd',
  '12D3KooWBq8ZNqQVnKjjvv6KhdukrRXDGjAZrQb2e5yNAhw3Ft5Y',
];

describe('aggregator order', () => {
  it('matches SHA-256(swarmId ‖ 0 ‖ round ‖ 0 ‖ peerId) ranks computed with Python hashlib', () => {
    const script = `
import json, sys, hashlib
d = json.load(sys.stdin)
key = lambda p: hashlib.sha256(f"{d['swarm']}\\0{d['round']}\\0{p}".encode()).hexdigest()
print(json.dumps(sorted(d["peers"], key=lambda p: (key(p), p))))`;
    for (const round of [0, 1, 17, 123456789]) {
      const expected = runPython<string[]>(script, { swarm: 'swarm-1', round, peers });
      expect(aggregatorOrder('swarm-1', round, peers)).toEqual(expected);
    }
  });

  it('is a permutation of the live peers that does not depend on their input order', () => {
    const order = aggregatorOrder('swarm-1', 5, peers);
    expect([...order].sort()).toEqual([...peers].sort());
    expect(aggregatorOrder('swarm-1', 5, [...peers].reverse())).toEqual(order);
    expect(aggregatorOrder('swarm-1', 5, [...peers, peers[0]])).toEqual(order);
  });

  it('rotates across rounds and swarms', () => {
    const firsts = new Set(Array.from({ length: 40 }, (_, r) => aggregatorOrder('swarm-1', r, peers)[0]));
    expect(firsts.size).toBeGreaterThan(1);
    expect(aggregatorOrder('swarm-2', 5, peers)).not.toEqual(aggregatorOrder('swarm-1', 5, peers));
  });

  it('gives attempt k to position k and wraps around', () => {
    const order = ['a', 'b', 'c'];
    expect([0, 1, 2, 3, 4].map((k) => aggregatorForAttempt(order, k))).toEqual(['a', 'b', 'c', 'a', 'b']);
    expect(aggregatorForAttempt([], 0)).toBeUndefined();
    expect(aggregatorForAttempt(order, -1)).toBeUndefined();
  });

  it('refuses a round that is not a non-negative integer', () => {
    expect(() => aggregatorOrder('swarm-1', -1, peers)).toThrow(InputError);
    expect(() => aggregatorOrder('swarm-1', 1.5, peers)).toThrow(InputError);
  });
});
