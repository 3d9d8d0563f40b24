import { readFile } from 'node:fs/promises';
import { InputError } from '../core/index.js';
import {
  CsvError,
  assertSplitsFilled,
  assertTransformable,
  loadCsv,
  splitSubset,
  suspectIdColumns,
  type Dataset,
  type FeatureTransform,
  type SuspectColumn,
} from '../models/index.js';
import type { SiteConfig } from './config.js';

/** A site's rows: its training rows and a validation split carved from them (never sent anywhere). */
export interface SiteData {
  ds: Dataset;
  train: number[];
  val: number[];
  /** Feature columns that look like ids (for a warning naming `data.ignore`). */
  suspectColumns: SuspectColumn[];
}

/** The swarm config's model and preprocessing sections, as a site's data loading needs them. */
export interface SharedDataSettings {
  /** Undefined: the label column is optional and its classes come from the data (regression, embedding). */
  classNames: string[] | undefined;
  /** A column to keep for the task (regression's condition column). */
  keepColumn?: string;
  transform: FeatureTransform;
  /** Named in errors: where `model.classNames` lives. */
  swarmConfigPath: string;
}

export async function loadSiteData(c: SiteConfig, shared: SharedDataSettings): Promise<SiteData> {
  const { classNames, transform } = shared;
  const keep = [...new Set([c.data.group, shared.keepColumn].filter((k) => k !== undefined))];
  const ds = await loadCsv(c.data.path, {
    label: c.data.label,
    id: c.data.id,
    ignore: c.data.ignore.filter((col) => !keep.includes(col)),
    keep,
    classNames,
    labelOptional: classNames === undefined,
  }).catch((err: unknown) => {
    throw err instanceof CsvError && err.code === 'CSV_UNKNOWN_CLASS'
      ? unknownClass(err, shared, c.data.path)
      : err;
  });
  assertTransformable(ds, transform, c.data.path);
  const rows = c.data.rowsFile ? await selectRows(ds, c.data.rowsFile) : ds.ids.map((_, i) => i);
  const groups = c.data.group ? ds.meta[c.data.group] : undefined;
  const { train, val } = splitSubset(ds, rows, c.training.valFraction, c.training.seed, groups);
  assertSplitsFilled(rows.length, { training: train, validation: val });
  return { ds, train, val, suspectColumns: suspectIdColumns(ds) };
}

function unknownClass(err: CsvError, shared: SharedDataSettings, dataPath: string): InputError {
  return new InputError(
    'UNKNOWN_CLASS',
    `${err.message}. Every class of every site must be listed in model.classNames of ` +
      `${shared.swarmConfigPath} (identically at all sites): add it there, or write the list from the data ` +
      `with \`swarmd classes --data ${dataPath} --config ${shared.swarmConfigPath}\``,
    { cause: err },
  );
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
