import type { Dataset } from './csv.js';

/** A feature column that looks like sample metadata (a patient or batch id) rather than a measurement. */
export interface SuspectColumn {
  column: string;
  reason: 'name' | 'values';
  /** Distinct values seen (for `values`). */
  distinct?: number;
}

const ID_WORDS = new Set(['id', 'patient', 'donor', 'site', 'batch', 'subject', 'sample', 'individual']);
const MAX_ID_VALUES = 50;

/**
 * Columns named like an id (a word such as `patient`, `donor_id`, `batchNo`; gene symbols like ID1 are not
 * words) or holding a few integers each used about evenly — a code, not a count: in count data most
 * columns are dominated by zeros (none of the 8 863 PBMC gene columns passes this test).
 */
export function suspectIdColumns(ds: Dataset): SuspectColumn[] {
  const out: SuspectColumn[] = [];
  for (let j = 0; j < ds.cols; j++) {
    const column = ds.featureNames[j];
    if (nameWords(column).some((w) => ID_WORDS.has(w))) {
      out.push({ column, reason: 'name' });
      continue;
    }
    const distinct = evenIntegerCodes(ds, j);
    if (distinct !== null) out.push({ column, reason: 'values', distinct });
  }
  return out;
}

function nameWords(name: string): string[] {
  return name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.toLowerCase())
    .filter(Boolean);
}

/** The number of distinct values if column j holds 2–50 integers, each on at least ¼ of an even share. */
function evenIntegerCodes(ds: Dataset, j: number): number | null {
  const counts = new Map<number, number>();
  let n = 0;
  for (let r = 0; r < ds.rows; r++) {
    const v = ds.features[r * ds.cols + j];
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) return null;
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (counts.size > MAX_ID_VALUES) return null;
    n++;
  }
  const d = counts.size;
  if (d < 2 || d > n / 4) return null;
  return Math.min(...counts.values()) >= n / (4 * d) ? d : null;
}

/** "patient (named like an id), donor_code (8 integer codes)" — the first eight, then a count. */
export function describeSuspectColumns(cols: SuspectColumn[]): string {
  const shown = cols
    .slice(0, 8)
    .map((c) =>
      c.reason === 'name' ? `${c.column} (named like an id)` : `${c.column} (${c.distinct} integer codes)`,
    );
  return shown.join(', ') + (cols.length > 8 ? `, … (${cols.length} in all)` : '');
}
