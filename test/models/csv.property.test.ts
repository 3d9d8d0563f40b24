import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SwarmdError } from '../../src/core/index.js';
import { CsvError, MAX_FEATURE_MAGNITUDE, parseCsv } from '../../src/models/index.js';

// Property tests of the CSV parser: any text either parses or is refused with a CsvError (never another
// error); a table written with RFC 4180 quoting reads back to the same names, float32 values and labels.
const quote = (s: string) => `"${s.replaceAll('"', '""')}"`;
const toCsv = (rows: string[][], eol: string) => rows.map((r) => r.map(quote).join(',')).join(eol) + eol;

const table = fc
  .record({
    names: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 5 }),
    rows: fc.integer({ min: 1, max: 12 }),
    classes: fc.uniqueArray(
      fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s.trim() === s && s !== ''),
      { minLength: 2, maxLength: 4 },
    ),
    eol: fc.constantFrom('\n', '\r\n'),
  })
  .filter((t) => t.names.every((n) => n !== 'label' && n !== 'sample_id' && n.trim() !== ''))
  // Classes a reader tells apart: not two spellings of one number ('1' and '1.0' are one class).
  .filter(
    (t) => new Set(t.classes.map((c) => (Number.isNaN(Number(c)) ? c : Number(c)))).size === t.classes.length,
  )
  .chain((t) =>
    fc.record({
      t: fc.constant(t),
      values: fc.array(
        fc
          .double({ min: -MAX_FEATURE_MAGNITUDE, max: MAX_FEATURE_MAGNITUDE, noNaN: true })
          .map((v) => (Object.is(v, -0) ? 0 : v)),
        { minLength: t.rows * t.names.length, maxLength: t.rows * t.names.length },
      ),
      labels: fc.array(fc.constantFrom(...t.classes), { minLength: t.rows, maxLength: t.rows }),
    }),
  )
  // Every class present, so the parser's class list (sorted labels seen) is the generator's.
  .filter(({ t, labels }) => t.classes.every((c) => labels.includes(c)));

/** Runs the parser; it must return or throw a CsvError. */
function parsesOrRefuses(text: string, opts = {}): void {
  try {
    parseCsv(text, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(CsvError);
    expect(err).toBeInstanceOf(SwarmdError);
  }
}

describe('CSV parsing (property)', () => {
  it('reads back a quoted table: feature names, float32 values, labels and ids', () => {
    fc.assert(
      fc.property(table, ({ t, values, labels }) => {
        const cols = t.names.length;
        const rows = Array.from({ length: t.rows }, (_, r) => [
          `s${r}`,
          ...values.slice(r * cols, (r + 1) * cols).map(String),
          labels[r],
        ]);
        const ds = parseCsv(toCsv([['sample_id', ...t.names, 'label'], ...rows], t.eol));
        expect(ds.featureNames).toEqual(t.names);
        expect([ds.rows, ds.cols]).toEqual([t.rows, cols]);
        expect(Buffer.from(ds.features.buffer).equals(Buffer.from(Float32Array.from(values).buffer))).toBe(
          true,
        );
        const sorted = [...t.classes].sort();
        expect(ds.classNames).toEqual(sorted);
        expect([...ds.labels]).toEqual(labels.map((l) => sorted.indexOf(l)));
        expect(ds.ids).toEqual(rows.map((r) => r[0]));
      }),
      { numRuns: 300 },
    );
  });

  it('returns or refuses with a CsvError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => parsesOrRefuses(s)),
      {
        numRuns: 1000,
      },
    );
  });

  it('returns or refuses with a CsvError on CSV-like text built from troublesome cells', () => {
    const cell = fc.oneof(
      fc.constantFrom(
        'label',
        'sample_id',
        'a',
        'b',
        '1',
        '-2.5',
        'NA',
        '',
        ' ',
        'inf',
        '-Infinity',
        '1e39',
        '0x10',
      ),
      fc.constantFrom('"', '""', '"a,b"', '"x\ny"', '\uFEFF', 'nan', '1e-50', '--1'),
      fc.string({ maxLength: 4 }),
    );
    const text = fc
      .array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 0, maxLength: 6 })
      .chain((rows) =>
        fc.constantFrom('\n', '\r\n', '\r').map((eol) => rows.map((r) => r.join(',')).join(eol)),
      );
    const opts = fc.record(
      {
        labelOptional: fc.boolean(),
        outOfRange: fc.constantFrom('refuse' as const, 'missing' as const),
        classNames: fc.array(fc.constantFrom('a', 'b', '1'), { maxLength: 3 }),
        ignore: fc.array(fc.constantFrom('a', 'b', 'x'), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(text, opts, (s, o) => parsesOrRefuses(s, o)),
      { numRuns: 2000 },
    );
  });
});
