import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, parseCsv } from '../../src/models/index.js';

// Labels and numbers as careless files spell them (issue 21): a label is trimmed; one class spelled two ways
// in one file is refused naming both; a number is plain decimal — never hex, binary or octal.

/** Each base class with the spellings a spreadsheet or a script produces for it. */
const SPELLINGS: Record<string, string[]> = {
  a: ['a', ' a', 'a ', '\ta'],
  b: ['b', 'b  '],
  '0': ['0', '0.0', '00', '0e0', ' 0'],
  '1': ['1', '1.0', '+1', '1e0'],
  '2.5': ['2.5', '2.50', '25e-1'],
};

const labelled = fc
  .uniqueArray(fc.constantFrom(...Object.keys(SPELLINGS)), { minLength: 2, maxLength: 5 })
  .chain((classes) =>
    fc.array(
      fc.constantFrom(...classes).chain((c) => fc.constantFrom(...SPELLINGS[c]).map((s) => ({ c, s }))),
      { minLength: classes.length, maxLength: 20 },
    ),
  )
  .filter((rows) => new Set(rows.map((r) => r.c)).size >= 2);

const csvOf = (labels: string[]) => ['f1,label', ...labels.map((l, i) => `${i},"${l}"`)].join('\n') + '\n';

describe('labels (property)', () => {
  it('reads each class once, trimmed, or refuses a class spelled two ways naming both spellings', () => {
    fc.assert(
      fc.property(labelled, (rows) => {
        const spellings = new Map<string, Set<string>>();
        for (const { c, s } of rows) spellings.set(c, (spellings.get(c) ?? new Set()).add(s));
        const twice = [...spellings.values()].find((s) => s.size > 1);
        const text = csvOf(rows.map((r) => r.s));
        if (twice) {
          expect(() => parseCsv(text)).toThrow(CsvError);
          try {
            parseCsv(text);
          } catch (err) {
            expect((err as CsvError).code).toBe('CSV_LABEL_SPELLINGS');
            const named = [...(err as Error).message.matchAll(/"([^"]*)" \(line/g)].map((m) =>
              JSON.parse(`"${m[1]}"`),
            );
            expect(named).toHaveLength(2);
            expect(named[0]).not.toBe(named[1]);
            expect([...spellings.values()].some((s) => named.every((n) => s.has(n)))).toBe(true);
          }
          return;
        }
        const ds = parseCsv(text);
        const trimmed = rows.map((r) => r.s.trim());
        const classes = [...new Set(trimmed)].sort();
        expect(ds.classNames).toEqual(classes);
        expect([...ds.labels]).toEqual(trimmed.map((l) => classes.indexOf(l)));
      }),
      { numRuns: 500 },
    );
  });

  it('a checkpoint class matches its trimmed label and any spelling of its number', () => {
    const ds = parseCsv(csvOf(['a ', '1.0', ' b', '1.0']), { classNames: ['a', 'b', '1'] });
    expect([...ds.labels]).toEqual([0, 2, 1, 2]);
  });
});

describe('feature numbers (property)', () => {
  const notDecimal = fc.constantFrom('0x1A', '0X10', '0b1', '0o7', '1_000', '1,5', '١', '.', '+', 'e5', '1e');
  it('refuses any column holding a number in another notation, naming the column and the value', () => {
    fc.assert(
      fc.property(notDecimal, fc.integer({ min: 0, max: 9 }), (cell, row) => {
        const rows = Array.from({ length: 10 }, (_, i) => `${i === row ? `"${cell}"` : i},${'ab'[i % 2]}`);
        const text = ['f1,label', ...rows].join('\n');
        expect(() => parseCsv(text)).toThrow(
          new RegExp(
            `1 column\\(s\\) are not numeric: 'f1' \\(line ${row + 2}: "${cell.replace(/[.+]/g, '\\$&')}"\\)`,
          ),
        );
      }),
      { numRuns: 200 },
    );
  });
});
