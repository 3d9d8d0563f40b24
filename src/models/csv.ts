import { createHash } from 'node:crypto';
import { constants as buffers } from 'node:buffer';
import { readFile, stat } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fsErrorReason } from '../core/index.js';
import { CsvError } from './csv-error.js';
import { parseDecimal } from './decimal.js';
import { distinctLabels, labelKey } from './labels.js';

/** Samples × numeric features with integer labels; missing values are NaN (imputed later, from train rows). */
export interface Dataset {
  features: Float32Array;
  rows: number;
  cols: number;
  featureNames: string[];
  /** Index into classNames; -1 where the file has no label (inference input). */
  labels: Int32Array;
  classNames: string[];
  ids: string[];
  /** Kept non-feature columns (e.g. `patient`), raw strings. */
  meta: Record<string, string[]>;
  /** SHA-256 of the file's (decompressed) bytes: recorded in checkpoints so a result names its data. */
  sourceHash: string;
  /** Out-of-range values read as missing (only with `outOfRange: 'missing'`), in file order. */
  outOfRange: OutOfRangeCell[];
}

/** A feature value that is infinite or beyond ±MAX_FEATURE_MAGNITUDE. */
export interface OutOfRangeCell {
  /** Data row (0-based, header excluded) and file line (1-based, header is line 1). */
  row: number;
  line: number;
  column: string;
  value: string;
}

/**
 * The largest feature magnitude accepted. Past it a value is a unit or entry error, not a measurement, and
 * its z-score could overflow float32 (|v − mean| ≤ 2e30 over a std ≥ 1e-8 stays below float32's 3.4e38);
 * an Infinity or 1e39 would otherwise turn into NaN weights or a confident prediction.
 */
export const MAX_FEATURE_MAGNITUDE = 1e30;

export interface CsvOptions {
  label?: string;
  id?: string;
  /** Non-feature columns to skip. */
  ignore?: string[];
  /** Non-feature columns to skip but keep in `meta` (e.g. a patient id for grouped splits). */
  keep?: string[];
  /** Inference input: the label column may be absent. */
  labelOptional?: boolean;
  /** Fixed class order (from a checkpoint): labels outside it are an error. */
  classNames?: string[];
  /**
   * Infinite or absurdly large feature values: 'refuse' (default) fails naming column and line; 'missing'
   * reads them as missing (imputed like an empty cell) and lists them in `outOfRange`.
   */
  outOfRange?: 'refuse' | 'missing';
  /** What the refusal tells the user to do (default: fix or remove those values). */
  outOfRangeFix?: string;
}

const MISSING = new Set(['', 'na', 'nan', 'null', 'none', '?']);

export async function loadCsv(path: string, opts: CsvOptions = {}): Promise<Dataset> {
  const bytes = await readCsvBytes(path);
  const ds = parseCsv(bytes.toString('utf8'), opts, path);
  return { ...ds, sourceHash: createHash('sha256').update(bytes).digest('hex') };
}

/** The distinct values of one column, sorted as `loadCsv` orders class names; no feature parsing. */
export async function loadColumnValues(path: string, column: string): Promise<string[]> {
  const records = splitRecords((await readCsvBytes(path)).toString('utf8'), path);
  const idx = records[0]?.indexOf(column) ?? -1;
  if (idx < 0) {
    throw new CsvError(
      'CSV_NO_LABEL',
      `${path} has no column '${column}' (columns: ${preview(records[0] ?? [])}): pass --label <column>`,
    );
  }
  return distinctLabels(
    records.slice(1).map((r) => r[idx] ?? ''),
    path,
  );
}

/**
 * The largest CSV swarmd reads, compressed or not: the longest string Node can hold (about 512 MiB), so a
 * gzip bomb stops at the limit with a message, not inside V8.
 */
const MAX_CSV_BYTES = buffers.MAX_STRING_LENGTH;
const tooLarge = (path: string, what: string) =>
  new CsvError(
    'CSV_TOO_LARGE',
    `${path} ${what} more than ${Math.floor(MAX_CSV_BYTES / 2 ** 20)} MiB, the most swarmd reads: split the rows into several files (one per site) or drop unused columns`,
  );

async function readCsvBytes(path: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    if ((await stat(path)).size > MAX_CSV_BYTES) throw tooLarge(path, 'holds');
    raw = await readFile(path);
  } catch (err) {
    if (err instanceof CsvError) throw err;
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : fsErrorReason(err);
    throw new CsvError('CSV_READ', `cannot read data file ${path}: ${why}`);
  }
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzip(raw, path) : raw;
  if (bytes.includes(0)) {
    throw new CsvError(
      'CSV_BINARY',
      `${path} is not a text CSV file (it holds binary data): pass the CSV (or CSV.gz) file`,
    );
  }
  return bytes;
}

function gunzip(raw: Buffer, path: string): Buffer {
  try {
    return gunzipSync(raw, { maxOutputLength: MAX_CSV_BYTES });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw tooLarge(path, 'decompresses to');
    throw new CsvError('CSV_GZIP', `${path} looks gzip-compressed but does not decompress: is it truncated?`);
  }
}

/** Parses CSV text; `source` names the file in errors. */
export function parseCsv(text: string, opts: CsvOptions = {}, source = 'CSV'): Dataset {
  const labelCol = opts.label ?? 'label';
  const idCol = opts.id ?? 'sample_id';
  const records = splitRecords(text, source);
  if (records.length === 0) throw new CsvError('CSV_EMPTY', `${source} is empty: expected a header row`);
  const header = records[0];
  checkHeader(header, source);
  const labelIdx = header.indexOf(labelCol);
  if (labelIdx < 0 && !opts.labelOptional) {
    throw new CsvError(
      'CSV_NO_LABEL',
      `${source} has no label column '${labelCol}' (columns: ${preview(header)}): pass --label <column>`,
    );
  }
  const idIdx = header.indexOf(idCol);
  const skip = new Set([...(opts.ignore ?? []), ...(opts.keep ?? [])]);
  for (const c of skip) {
    if (c === labelCol || c === idCol)
      throw new CsvError(
        'CSV_IGNORE_LABEL',
        `'${c}' is the ${c === labelCol ? 'label' : 'sample id'} column, never a feature: remove it from --ignore (data.ignore)`,
      );
    if (!header.includes(c))
      throw new CsvError('CSV_NO_COLUMN', `${source} has no column '${c}' to ignore/keep`);
  }
  const featureIdx = header
    .map((_, i) => i)
    .filter((i) => i !== labelIdx && i !== idIdx && !skip.has(header[i]));
  if (featureIdx.length === 0) throw new CsvError('CSV_NO_FEATURES', `${source} has no feature columns`);
  const body = records.slice(1);
  if (body.length === 0) throw new CsvError('CSV_NO_ROWS', `${source} has a header but no data rows`);
  body.forEach((r, i) => {
    if (r.length !== header.length) {
      throw new CsvError(
        'CSV_RAGGED',
        `${source} line ${i + 2} has ${r.length} fields but the header has ${header.length}: fix or remove that row`,
      );
    }
  });
  const { features, outOfRange } = parseFeatures(body, header, featureIdx, source);
  if (!opts.labelOptional)
    refuseEmptyColumns(
      features,
      body.length,
      featureIdx.map((i) => header[i]),
      source,
    );
  if (outOfRange.length > 0 && opts.outOfRange !== 'missing') refuseOutOfRange(outOfRange, source, opts);
  const labelsRaw = labelIdx >= 0 ? body.map((r) => r[labelIdx]) : null;
  const { labels, classNames } = encodeLabels(labelsRaw, body.length, opts, source);
  const meta: Record<string, string[]> = {};
  for (const c of opts.keep ?? []) meta[c] = body.map((r) => r[header.indexOf(c)]);
  return {
    features,
    rows: body.length,
    cols: featureIdx.length,
    featureNames: featureIdx.map((i) => header[i]),
    labels,
    classNames,
    ids: idIdx >= 0 ? body.map((r) => r[idIdx]) : body.map((_, i) => `row${i + 1}`),
    meta,
    sourceHash: createHash('sha256').update(text).digest('hex'),
    outOfRange,
  };
}

function refuseOutOfRange(cells: OutOfRangeCell[], source: string, opts: CsvOptions): never {
  const named = cells
    .slice(0, 3)
    .map((c) => `column '${c.column}' line ${c.line} ("${c.value.slice(0, 20)}")`);
  const more = cells.length > 3 ? `, and ${cells.length - 3} more` : '';
  throw new CsvError(
    'CSV_OUT_OF_RANGE',
    `${source}: ${cells.length} feature value(s) are infinite or beyond ±${String(MAX_FEATURE_MAGNITUDE).replace('+', '')}: ` +
      `${named.join(', ')}${more}; ${opts.outOfRangeFix ?? 'fix or remove those values'}`,
  );
}

function checkHeader(header: string[], source: string): void {
  const empty = header.findIndex((h) => h.trim() === '');
  if (empty >= 0) {
    throw new CsvError(
      'CSV_EMPTY_COLUMN_NAME',
      `${source} has a column without a name (column ${empty + 1} of ${header.length}${empty === header.length - 1 ? ': a trailing comma?' : ''}): name it or remove it`,
    );
  }
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h)) throw new CsvError('CSV_DUPLICATE_COLUMN', `${source} has the column '${h}' twice`);
    seen.add(h);
  }
}

function parseFeatures(
  body: string[][],
  header: string[],
  featureIdx: number[],
  source: string,
): { features: Float32Array; outOfRange: OutOfRangeCell[] } {
  const cols = featureIdx.length;
  const out = new Float32Array(body.length * cols);
  const bad = new Map<string, { line: number; value: string }>();
  const outOfRange: OutOfRangeCell[] = [];
  for (let r = 0; r < body.length; r++) {
    const row = body[r];
    for (let j = 0; j < cols; j++) {
      const cell = row[featureIdx[j]].trim();
      const v = MISSING.has(cell.toLowerCase()) ? NaN : parseDecimal(cell);
      if (Number.isNaN(v) && !MISSING.has(cell.toLowerCase())) {
        const name = header[featureIdx[j]];
        if (!bad.has(name)) bad.set(name, { line: r + 2, value: cell });
      }
      const inRange = !(Math.abs(v) > MAX_FEATURE_MAGNITUDE); // NaN (missing) passes
      if (!inRange) outOfRange.push({ row: r, line: r + 2, column: header[featureIdx[j]], value: cell });
      out[r * cols + j] = inRange ? v : NaN;
    }
  }
  if (bad.size > 0) {
    const named = [...bad].slice(0, 5).map(([n, b]) => `'${n}' (line ${b.line}: "${b.value.slice(0, 20)}")`);
    throw new CsvError(
      'CSV_NON_NUMERIC',
      `${source}: ${bad.size} column(s) are not numeric: ${named.join(', ')}${bad.size > 5 ? ', …' : ''}. ` +
        `Pass them with --ignore <cols> if they are metadata, or fix the values`,
    );
  }
  return { features: out, outOfRange };
}

/** Training data: a feature column missing in every row teaches nothing and would be demanded at inference. */
function refuseEmptyColumns(features: Float32Array, rows: number, names: string[], source: string): void {
  const empty = names.filter((_, j) => {
    for (let r = 0; r < rows; r++) if (!Number.isNaN(features[r * names.length + j])) return false;
    return true;
  });
  if (empty.length > 0) {
    throw new CsvError(
      'CSV_EMPTY_FEATURE',
      `${source}: column(s) ${preview(empty.map((c) => `'${c}'`))} hold no value in any row: pass --ignore ${empty.join(',')} (data.ignore in a site config) or fill them`,
    );
  }
}

function encodeLabels(
  raw: string[] | null,
  rows: number,
  opts: CsvOptions,
  source: string,
): { labels: Int32Array; classNames: string[] } {
  if (!raw) return { labels: new Int32Array(rows).fill(-1), classNames: opts.classNames ?? [] };
  const missing = raw.findIndex((l) => l.trim() === '');
  if (missing >= 0 && !opts.labelOptional) {
    throw new CsvError('CSV_MISSING_LABEL', `${source} line ${missing + 2} has an empty label`);
  }
  const distinct = distinctLabels(raw, source);
  const classNames = opts.classNames ?? distinct;
  if (!opts.classNames && classNames.length < 2) {
    throw new CsvError(
      'CSV_SINGLE_CLASS',
      `${source} has ${classNames.length} class(es) in its label column (${classNames.join(', ') || 'none'}): a classifier needs at least 2`,
    );
  }
  const index = new Map(classNames.map((c, i) => [labelKey(c), i]));
  const labels = Int32Array.from(raw, (l, i) => {
    if (l.trim() === '') return -1;
    const k = index.get(labelKey(l));
    if (k === undefined) {
      throw new CsvError(
        'CSV_UNKNOWN_CLASS',
        `${source} line ${i + 2} has label '${l}', which the model does not know (classes: ${preview(classNames)})`,
      );
    }
    return k;
  });
  return { labels, classNames };
}

/** RFC 4180 records: quoted fields may hold commas, doubled quotes and newlines. */
function splitRecords(text: string, source: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      record.push(field);
      if (record.length > 1 || record[0] !== '') records.push(record);
      record = [];
      field = '';
    } else field += ch;
  }
  if (quoted) throw new CsvError('CSV_QUOTE', `${source} ends inside a quoted field: is the file truncated?`);
  record.push(field);
  if (record.length > 1 || record[0] !== '') records.push(record);
  return records;
}

function preview(names: string[]): string {
  return names.length <= 8 ? names.join(', ') : `${names.slice(0, 8).join(', ')}, … (${names.length} in all)`;
}
