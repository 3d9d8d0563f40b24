import { describe, expect, it } from 'vitest';
import { inrCoordinates, positionalEncoding } from '../../src/inr/index.js';

describe('inrCoordinates', () => {
  it('spreads the identity over [-1, 1]', () => {
    expect([...inrCoordinates(null, 3)]).toEqual([-1, 0, 1]);
    expect([...inrCoordinates(null, 5)]).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('places neuron i at the coordinate of π(i)', () => {
    expect([...inrCoordinates(Int32Array.from([2, 0, 1]), 3)]).toEqual([1, -1, 0]);
  });

  it('gives 0 for a single neuron', () => {
    expect([...inrCoordinates(null, 1)]).toEqual([0]);
    expect([...inrCoordinates(Int32Array.from([0]), 1)]).toEqual([0]);
  });

  it('rejects something that is not a permutation of the right size', () => {
    expect(() => inrCoordinates(Int32Array.from([0, 0, 1]), 3)).toThrow(/not a permutation/);
    expect(() => inrCoordinates(Int32Array.from([0, 1]), 3)).toThrow(/2 entries, expected 3/);
  });
});

describe('positionalEncoding', () => {
  it('matches hand-computed sin/cos for n = 3, identity, L = 2', () => {
    // c = -1, 0, 1 → [sin πc, cos πc, sin 2πc, cos 2πc]
    const expected = [
      [0, -1, 0, 1],
      [0, 1, 0, 1],
      [0, -1, 0, 1],
    ].flat();
    const got = positionalEncoding(inrCoordinates(null, 3), 2);
    expect(got).toHaveLength(12);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });

  it('matches hand-computed values at c = 0.5 and -0.25', () => {
    const got = positionalEncoding(Float32Array.from([0.5, -0.25]), 3);
    const h = Math.SQRT1_2;
    // c = 0.5: angles π/2, π, 2π; c = -0.25: angles -π/4, -π/2, -π
    const expected = [1, 0, 0, -1, 0, 1, -h, h, -1, 0, 0, -1];
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
  });
});
