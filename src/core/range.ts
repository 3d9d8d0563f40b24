import { z } from 'zod';

/**
 * The allowed values of a numeric setting, written once and used both to parse a flag and to build the
 * config schema, so `--epochs` and `epochsPerRound` refuse the same values with the same words.
 */
export interface NumberRange {
  min: number;
  max: number;
  /** Whole numbers only. */
  integer?: boolean;
  /** `min` itself is not allowed (e.g. a learning rate must be above 0). */
  minExclusive?: boolean;
  /** `max` itself is not allowed (e.g. a fraction must be below 1). */
  maxExclusive?: boolean;
}

/** "a whole number from 1 to 10000", "a number above 0 and at most 1", "a number above 0 and below 1". */
export function describeRange(r: NumberRange): string {
  const kind = r.integer ? 'a whole number' : 'a number';
  if (!r.minExclusive && !r.maxExclusive) return `${kind} from ${r.min} to ${r.max}`;
  const low = r.minExclusive ? `above ${r.min}` : `at least ${r.min}`;
  const high = r.maxExclusive ? `below ${r.max}` : `at most ${r.max}`;
  return `${kind} ${low} and ${high}`;
}

export function inRange(v: number, r: NumberRange): boolean {
  if (!Number.isFinite(v) || (r.integer && !Number.isInteger(v))) return false;
  const aboveMin = r.minExclusive ? v > r.min : v >= r.min;
  const belowMax = r.maxExclusive ? v < r.max : v <= r.max;
  return aboveMin && belowMax;
}

// Plain decimal notation only: Number() would also take '', ' ', '0x1f', '0b1' and 'Infinity'.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** The number `text` spells if it is a plain decimal inside `r`; otherwise undefined. */
export function parseInRange(text: string, r: NumberRange): number | undefined {
  const trimmed = text.trim();
  if (!DECIMAL.test(trimmed)) return undefined;
  const v = Number(trimmed);
  return inRange(v, r) ? v : undefined;
}

/** A zod number schema for `r`, whose message states the whole range. */
export function rangeSchema(r: NumberRange): z.ZodEffects<z.ZodNumber, number, number> {
  return z.number().refine((v) => inRange(v, r), { message: `must be ${describeRange(r)}` });
}
