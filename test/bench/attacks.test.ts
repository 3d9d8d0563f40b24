import { describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import {
  ATTACK_PARAMS,
  attackUpdate,
  flipLabel,
  parseAttack,
  type AttackInput,
} from '../../bench/attacks.js';

const t = (...v: number[]): NamedTensors =>
  new Map([['w', { shape: [v.length], data: Float32Array.from(v) }]]);
const values = (x: NamedTensors) => Array.from(x.get('w')!.data);

// Reference 1, 2; honest updates (1+1, 2+2) and (1+3, 2−2): deltas (1, 2) and (3, −2), by hand:
// mean (2, 0); sample std (√2, √8).
const input: AttackInput = {
  reference: t(1, 2),
  honest: [t(2, 4), t(4, 0)],
  own: { tensors: t(0.5, -1), samples: 40 },
  random: () => 0.5,
};

describe('attacks (ByzFL definitions on updates)', () => {
  it('SignFlip sends the reference minus the honest mean delta', () => {
    expect(values(attackUpdate('signflip', input).tensors)).toEqual([-1, 2]);
  });

  it('IPM sends the reference minus ε times the honest mean delta', () => {
    const [a, b] = values(attackUpdate('ipm', input).tensors);
    expect(a).toBeCloseTo(1 - 0.1 * 2, 6);
    expect(b).toBeCloseTo(2, 6);
  });

  it('ALIE sends the mean plus τ times the per-coordinate sample std', () => {
    const [a, b] = values(attackUpdate('alie', input).tensors);
    expect(a).toBeCloseTo(1 + 2 + 1.5 * Math.SQRT2, 5);
    expect(b).toBeCloseTo(2 + 0 + 1.5 * Math.sqrt(8), 5);
  });

  it('NaN, scale, inflation and Gaussian noise of σ = 200 around the reference', () => {
    expect(values(attackUpdate('nan', input).tensors).every(Number.isNaN)).toBe(true);
    expect(values(attackUpdate('scale', input).tensors)).toEqual([-5, 10]);
    expect(attackUpdate('inflate', input)).toEqual({ tensors: input.own.tensors, samples: 1_000_000 });
    expect(attackUpdate('signflip', input).samples).toBe(40);
    let i = 0;
    const seq = [0.5, 0]; // u = 0.5, angle 0: z = √(−2 ln 0.5)
    const g = values(attackUpdate('gaussian', { ...input, random: () => seq[i++ % 2] }).tensors);
    expect(g[0]).toBeCloseTo(1 + ATTACK_PARAMS.sigma * Math.sqrt(-2 * Math.log(0.5)), 3);
  });

  it('LabelFlip maps class y of 11 to 10 − y', () => {
    expect([0, 5, 10].map((y) => flipLabel(y, 11))).toEqual([10, 5, 0]);
  });

  it('names the known attacks when a flag names another', () => {
    expect(parseAttack('alie')).toBe('alie');
    expect(() => parseAttack('flood')).toThrow(
      '--attack flood: use one of nan, signflip, scale, alie, ipm, gaussian, labelflip, inflate',
    );
  });
});
