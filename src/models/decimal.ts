const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INFINITE = /^([+-]?)inf(inity)?$/i;

/**
 * A CSV cell as a number: plain decimal notation (with an exponent) or ±Inf; NaN for anything else. Number()
 * alone reads `0x1A` as 26, `0b1` as 1 and ' ' as 0.
 */
export function parseDecimal(cell: string): number {
  if (DECIMAL.test(cell)) return Number(cell);
  const inf = INFINITE.exec(cell);
  return inf ? (inf[1] === '-' ? -Infinity : Infinity) : NaN;
}
