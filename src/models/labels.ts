import { CsvError } from './csv-error.js';
import { parseDecimal } from './decimal.js';

/*
 * Class labels as a CSV spells them. A label is trimmed ('a ' is 'a'), and one file spelling one class two
 * ways — 'a' and 'a ', '0' and '0.0' — is refused: read as two classes, it split one class in two.
 */

/** The spelling-free form of a label: trimmed, and a number written as its shortest decimal form. */
export function labelKey(label: string): string {
  const t = label.trim();
  const n = parseDecimal(t);
  return Number.isNaN(n) ? t : String(n);
}

/**
 * The distinct trimmed labels of `raw` (empty ones skipped), sorted; refuses two spellings of one class,
 * naming both and their lines (line = index + 2: the header is line 1).
 */
export function distinctLabels(raw: readonly string[], source: string): string[] {
  const seen = new Map<string, { label: string; line: number }>();
  raw.forEach((r, i) => {
    const label = r.trim();
    if (label === '') return;
    const key = labelKey(label);
    const first = seen.get(key);
    if (first === undefined) seen.set(key, { label: r, line: i + 2 });
    else if (first.label !== r) throw twoSpellings(source, first, { label: r, line: i + 2 });
  });
  return [...new Set([...seen.values()].map((v) => v.label.trim()))].sort();
}

function twoSpellings(
  source: string,
  a: { label: string; line: number },
  b: { label: string; line: number },
) {
  return new CsvError(
    'CSV_LABEL_SPELLINGS',
    `${source} spells one class two ways: ${JSON.stringify(a.label)} (line ${a.line}) and ` +
      `${JSON.stringify(b.label)} (line ${b.line}); write every label of a class the same way`,
  );
}
