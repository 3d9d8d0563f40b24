import { InvalidArgumentError } from 'commander';
import { describeRange, parseInRange, type NumberRange } from '../core/index.js';

/** A numeric flag's parser: the value must lie in `range`, or commander exits 1 naming the flag and range. */
export const num = (range: NumberRange) => (text: string) => {
  const v = parseInRange(text, range);
  if (v === undefined) throw new InvalidArgumentError(`Allowed: ${describeRange(range)}.`);
  return v;
};
