import { readFile } from 'node:fs/promises';
import { InputError } from '../core/index.js';
import { assertSplitsFilled, loadCsv, splitSubset, type Dataset } from '../models/index.js';
import type { SiteConfig } from './config.js';

/** A site's rows: its training rows and a validation split carved from them (never sent anywhere). */
export interface SiteData {
  ds: Dataset;
  train: number[];
  val: number[];
}

export async function loadSiteData(c: SiteConfig, classNames: string[]): Promise<SiteData> {
  const keep = c.data.group ? [c.data.group] : [];
  const ds = await loadCsv(c.data.path, {
    label: c.data.label,
    id: c.data.id,
    ignore: c.data.ignore.filter((col) => !keep.includes(col)),
    keep,
    classNames,
  });
  const rows = c.data.rowsFile ? await selectRows(ds, c.data.rowsFile) : ds.ids.map((_, i) => i);
  const groups = c.data.group ? ds.meta[c.data.group] : undefined;
  const { train, val } = splitSubset(ds, rows, c.training.valFraction, c.training.seed, groups);
  assertSplitsFilled(rows.length, { training: train, validation: val });
  return { ds, train, val };
}

async function selectRows(ds: Dataset, rowsFile: string): Promise<number[]> {
  const text = await readFile(rowsFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    const why = err.code === 'ENOENT' ? 'it does not exist' : err.message;
    throw new InputError(
      'ROWS_FILE',
      `cannot read the rows file ${rowsFile} (data.rowsFile): ${why}; fix the path or remove the setting to use every row`,
      { cause: err },
    );
  });
  const wanted = new Set(
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean),
  );
  const rows = ds.ids.flatMap((id, i) => (wanted.has(id) ? [i] : []));
  if (rows.length !== wanted.size) {
    throw new InputError(
      'ROWS_FILE',
      `${rowsFile} names ${wanted.size - rows.length} sample id(s) that the data file lacks`,
    );
  }
  return rows;
}
