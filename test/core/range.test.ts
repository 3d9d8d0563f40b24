import { describe, expect, it } from 'vitest';
import { TRAINING_RANGES, describeRange, parseInRange, rangeSchema } from '../../src/core/index.js';

describe('numeric ranges', () => {
  it('describes each kind of bound in words', () => {
    expect(describeRange(TRAINING_RANGES.epochs)).toBe('a whole number from 1 to 10000');
    expect(describeRange(TRAINING_RANGES.learningRate)).toBe('a number above 0 and at most 1');
    expect(describeRange(TRAINING_RANGES.fraction)).toBe('a number above 0 and below 1');
    expect(describeRange({ min: 0, max: 5, maxExclusive: true })).toBe('a number at least 0 and below 5');
  });

  it('parses plain decimals inside the range and nothing else', () => {
    const epochs = TRAINING_RANGES.epochs;
    expect(parseInRange('60', epochs)).toBe(60);
    expect(parseInRange(' 1e3 ', epochs)).toBe(1000);
    expect(parseInRange('+7', epochs)).toBe(7);
    for (const bad of [
      '0',
      '-1',
      '10001',
      '1.5',
      'abc',
      '',
      ' ',
      '0x10',
      '0b1',
      'Infinity',
      'NaN',
      '1e',
      '--1',
    ])
      expect(parseInRange(bad, epochs), bad).toBeUndefined();
    const lr = TRAINING_RANGES.learningRate;
    expect(parseInRange('0.001', lr)).toBe(0.001);
    expect(parseInRange('.5', lr)).toBe(0.5);
    expect(parseInRange('1', lr)).toBe(1);
    for (const bad of ['0', '-1', '1.0001', '1e400']) expect(parseInRange(bad, lr), bad).toBeUndefined();
    expect(parseInRange('4294967295', TRAINING_RANGES.seed)).toBe(2 ** 32 - 1);
    expect(parseInRange('4294967296', TRAINING_RANGES.seed)).toBeUndefined();
  });

  it('gives zod the same bounds and the same words', () => {
    const schema = rangeSchema(TRAINING_RANGES.batchSize);
    expect(schema.parse(32)).toBe(32);
    for (const bad of [0, 65_537, 2.5, Infinity]) {
      const res = schema.safeParse(bad);
      expect(res.success, String(bad)).toBe(false);
      expect(res.error?.issues[0].message).toBe('must be a whole number from 1 to 65536');
    }
    expect(schema.safeParse(NaN).success).toBe(false);
  });
});
