import { describe, expect, it } from 'vitest';
import {
  applyStandardizer,
  assertTransformable,
  computeFeatureStats,
  countLikeMax,
  loadCsv,
  parseCsv,
  standardizerFromJSON,
  standardizerFromStats,
  standardizerToJSON,
  suspectIdColumns,
} from '../../src/models/index.js';

describe('count-like data', () => {
  const csv = (rows: string[]) => parseCsv(['g1,g2,label', ...rows].join('\n'));

  it('is whole non-negative numbers reaching past 100, missing values aside', () => {
    expect(countLikeMax(csv(['0,3,a', '250,NA,b', '7,0,a']))).toBe(250);
  });

  it('is not a log scale, negative values, or small integer codes', () => {
    expect(countLikeMax(csv(['0.5,3,a', '250,1,b']))).toBeNull();
    expect(countLikeMax(csv(['-1,3,a', '250,1,b']))).toBeNull();
    expect(countLikeMax(csv(['0,2,a', '1,2,b', '2,0,a']))).toBeNull();
  });

  it('is not the bundled microarray or breast-cancer sets', async () => {
    expect(countLikeMax(await loadCsv('data/datamicroarray_khan.csv.gz'))).toBeNull();
    expect(countLikeMax(await loadCsv('data/sklearn_breast_cancer_wdbc.csv.gz'))).toBeNull();
  });
});

describe('named value transforms', () => {
  // log1p maps 0, e − 1, e² − 1 to 0, 1, 2: mean 1, population std √(2/3).
  const x = Float32Array.from([0, Math.E - 1, Math.E ** 2 - 1]);

  it('standardises log1p values, computed by hand', () => {
    const s = standardizerFromStats(computeFeatureStats(x, 3, 1, undefined, 'log1p'), ['c'], 'log1p');
    expect(s.mean[0]).toBeCloseTo(1, 6);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(2 / 3), 6);
    const z = Array.from(applyStandardizer(s, x, 3, 1));
    [-1 / Math.sqrt(2 / 3), 0, 1 / Math.sqrt(2 / 3)].forEach((v, i) => expect(z[i]).toBeCloseTo(v, 5));
  });

  it('records the transform in the checkpoint JSON; older JSON without it reads as none', () => {
    const s = standardizerFromStats(computeFeatureStats(x, 3, 1, undefined, 'log1p'), ['c'], 'log1p');
    expect(standardizerToJSON(s).transform).toBe('log1p');
    expect(standardizerFromJSON(standardizerToJSON(s))).toEqual(s);
    expect(standardizerFromJSON({ featureNames: ['c'], mean: [0], std: [1] }).transform).toBe('none');
  });

  it('refuses log1p on a column with negative values, naming it', () => {
    const ds = parseCsv('sample_id,a,b,label\ns1,1,-2,x\ns2,3,4,y\n');
    expect(() => assertTransformable(ds, 'log1p', 'd.csv')).toThrow(/column 'b' has a negative value/);
    expect(() => assertTransformable(ds, 'none', 'd.csv')).not.toThrow();
  });
});

describe('id-like feature columns', () => {
  it('flags columns named like ids and evenly used integer codes, not gene symbols or counts', () => {
    const lines = ['sample_id,ID1,patient,cohort_code,UMI_gene,batchNo,label'];
    for (let i = 0; i < 40; i++) {
      const umi = i % 10 === 0 ? 3 : 0; // sparse counts: mostly zeros
      lines.push(`s${i},${(i * 0.37).toFixed(2)},${i % 5},${1 + (i % 4)},${umi},${i},${i % 2 ? 'a' : 'b'}`);
    }
    const found = suspectIdColumns(parseCsv(lines.join('\n')));
    expect(found).toEqual([
      { column: 'patient', reason: 'name' },
      { column: 'cohort_code', reason: 'values', distinct: 4 },
      { column: 'batchNo', reason: 'name' },
    ]);
  });

  it('finds none in the bundled WDBC and Khan data sets', async () => {
    for (const file of ['sklearn_breast_cancer_wdbc.csv.gz', 'datamicroarray_khan.csv.gz'])
      expect(suspectIdColumns(await loadCsv(`data/${file}`))).toEqual([]);
  });
});
