import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCsv, parseCsv } from '../../src/models/index.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
  throw new Error('expected an error');
};

describe('CSV loader', () => {
  let dir: string | undefined;
  afterEach(async () => dir && rm(dir, { recursive: true, force: true }));

  it('parses ids, features, NaN for missing values, sorted class names and kept metadata', () => {
    const ds = parseCsv('sample_id,g1,"g,2",patient,label\ns1,1.5,NA,p1,b\ns2,,3,p1,a\ns3,-2e1,4,p2,b\n', {
      keep: ['patient'],
    });
    expect(ds.featureNames).toEqual(['g1', 'g,2']);
    expect(ds.ids).toEqual(['s1', 's2', 's3']);
    expect(ds.classNames).toEqual(['a', 'b']);
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
    expect(Array.from(ds.features)).toEqual([1.5, NaN, NaN, 3, -20, 4]);
    expect(ds.meta.patient).toEqual(['p1', 'p1', 'p2']);
  });

  it('names the line of a ragged row', () => {
    const e = code(() => parseCsv('g1,g2,label\n1,2,a\n1,b\n3,4,b\n'));
    expect(e.code).toBe('CSV_RAGGED');
    expect(e.message).toContain('line 3');
  });

  it('names non-numeric columns and suggests --ignore', () => {
    const e = code(() => parseCsv('g1,site,g2,label\n1,x,2,a\n2,y,3,b\n'));
    expect(e.code).toBe('CSV_NON_NUMERIC');
    expect(e.message).toContain("'site'");
    expect(e.message).toContain('--ignore');
    expect(parseCsv('g1,site,g2,label\n1,x,2,a\n2,y,3,b\n', { ignore: ['site'] }).cols).toBe(2);
  });

  it('rejects a missing label column, listing the columns', () => {
    const e = code(() => parseCsv('g1,g2,diagnosis\n1,2,a\n2,3,b\n'));
    expect(e.code).toBe('CSV_NO_LABEL');
    expect(e.message).toContain('diagnosis');
    expect(parseCsv('g1,g2,diagnosis\n1,2,a\n2,3,b\n', { label: 'diagnosis' }).classNames).toEqual([
      'a',
      'b',
    ]);
  });

  it('rejects a single class, an empty file and a label unknown to the model', () => {
    expect(code(() => parseCsv('g1,label\n1,a\n2,a\n')).code).toBe('CSV_SINGLE_CLASS');
    expect(code(() => parseCsv('')).code).toBe('CSV_EMPTY');
    expect(code(() => parseCsv('g1,label\n')).code).toBe('CSV_NO_ROWS');
    expect(code(() => parseCsv('g1,label\n1,c\n', { classNames: ['a', 'b'] })).code).toBe(
      'CSV_UNKNOWN_CLASS',
    );
    expect(code(() => parseCsv('g1,"label\n1,a\n')).code).toBe('CSV_QUOTE');
  });

  it('refuses infinite and absurdly large values, naming column and line; 1e30 itself is accepted', () => {
    const text = 'id,g1,g2,label\nr1,1,Infinity,a\nr2,1e30,-1e30,b\nr3,-1e31,2,a\nr4,1e39,-Infinity,b\n';
    const e = code(() => parseCsv(text, { id: 'id' }, 'x.csv'));
    expect(e.code).toBe('CSV_OUT_OF_RANGE');
    expect(e.message).toBe(
      `x.csv: 4 feature value(s) are infinite or beyond ±1e30: column 'g2' line 2 ("Infinity"), ` +
        `column 'g1' line 4 ("-1e31"), column 'g1' line 5 ("1e39"), and 1 more; fix or remove those values`,
    );
    expect(code(() => parseCsv(text, { id: 'id', outOfRangeFix: 'do X' })).message).toMatch(/; do X$/);
  });

  it("with outOfRange 'missing', reads them as missing and lists each cell", () => {
    const text = 'id,g1,g2,label\nr1,1,Infinity,a\nr2,1e30,-1e30,b\nr3,-1e31,2,a\n';
    const ds = parseCsv(text, { id: 'id', outOfRange: 'missing' });
    expect(Array.from(ds.features)).toEqual([1, NaN, Math.fround(1e30), Math.fround(-1e30), NaN, 2]);
    expect(ds.outOfRange).toEqual([
      { row: 0, line: 2, column: 'g2', value: 'Infinity' },
      { row: 2, line: 4, column: 'g1', value: '-1e31' },
    ]);
    expect(parseCsv('g1,label\n1,a\n2,b\n').outOfRange).toEqual([]);
  });

  it('reads gzip directly and hashes the decompressed bytes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmd-csv-'));
    const text = 'g1,label\n1,a\n2,b\n';
    await writeFile(join(dir, 'd.csv'), text);
    await writeFile(join(dir, 'd.csv.gz'), gzipSync(text));
    const plain = await loadCsv(join(dir, 'd.csv'));
    const gz = await loadCsv(join(dir, 'd.csv.gz'));
    expect(gz.sourceHash).toBe(plain.sourceHash);
    expect(Array.from(gz.features)).toEqual([1, 2]);
    await expect(loadCsv(join(dir, 'nope.csv'))).rejects.toThrow(/no such file/);
  });

  it('loads the bundled TCGA set: 1204 samples × 3556 genes, 11 classes, 944 missing values', async () => {
    const ds = await loadCsv('data/tcga11_metagsca_all.csv.gz', {
      ignore: ['sample_type'],
      keep: ['patient'],
    });
    expect([ds.rows, ds.cols, ds.classNames.length]).toEqual([1204, 3556, 11]);
    expect(ds.features.filter(Number.isNaN).length).toBe(944);
    expect(new Set(ds.meta.patient).size).toBeLessThan(1204);
  });
});
