import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Level } from 'level';
import { checkFolder, claimFolder, fsErrorReason, type FolderClaim } from '../core/index.js';
import { StoreError } from './errors.js';

/** Version 2: checkpoints sealed (AES-256-GCM) with their manifest in one value. Version 1 kept them plain. */
export const SCHEMA_VERSION = '2';
export type Bytes = Uint8Array;
export type Db = Level<string, Bytes>;
export const subOf = (db: Db, name: string) =>
  db.sublevel<string, Bytes>(name, { keyEncoding: 'utf8', valueEncoding: 'view' });
export type Sub = ReturnType<typeof subOf>;

export const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
export const unjson = <T>(b: Bytes) => JSON.parse(new TextDecoder().decode(b)) as T;

/**
 * The file swarmd leaves in every database folder it writes: LevelDB deletes the files it takes for its own
 * (`*.log`, `*.ldb`, `MANIFEST-*`) in any folder it opens, so swarmd opens for writing only a folder it
 * created, an empty one, or one carrying this marker (or, from before the marker, a swarmd database).
 */
export const DATABASE_MARKER = 'SWARMD-DATABASE';

/**
 * Opens the LevelDB at `path`. With `mustExist`, a folder that is not a LevelDB database is refused before
 * anything is opened, so nothing is written there (LevelDB itself creates files even when it then fails).
 * Without it, the folder must be swarmd's (claimFolder), refused untouched otherwise.
 */
export async function openLevel(path: string, mustExist: boolean): Promise<Db> {
  if (mustExist && !(await isFile(join(path, 'CURRENT')))) throw notSwarmd(path, 'no LevelDB files there');
  // Owner-only: the database holds the peer's private identity key. Created before the Level object:
  // it opens itself on the next tick, and LevelDB would create the folder world-readable (0755).
  if (!mustExist) await claimFolder(databaseFolder(path));
  const db = new Level<string, Bytes>(path, {
    keyEncoding: 'utf8',
    valueEncoding: 'view',
    createIfMissing: !mustExist,
  });
  try {
    await db.open();
  } catch (err) {
    throw openError(path, err);
  }
  return db;
}

/** The schema version the database records, or undefined for a fresh (or foreign) LevelDB. */
export async function schemaVersion(db: Db): Promise<string | undefined> {
  const v = await subOf(db, 'meta').get('version');
  return v === undefined ? undefined : unjson<string>(v);
}

export function notSwarmd(path: string, why: string): StoreError {
  return new StoreError(
    'NOT_A_DATABASE',
    `${path} is not a swarmd database (${why}): pass a site's dataDir, a \`swarmd train --out\` folder or an exported .swck file`,
  );
}

export const databaseFolder = (path: string): FolderClaim => ({
  path,
  what: 'database folder',
  marker: DATABASE_MARKER,
  adopt: isOlderSwarmdDatabase,
});

/**
 * Refuses, without writing, a folder `openStore` would refuse (a file, a folder of other files, another
 * program's LevelDB); true when it holds a database already.
 */
export async function assertDatabaseFolder(path: string): Promise<boolean> {
  return (await checkFolder(databaseFolder(path))) !== 'missing' && (await isFile(join(path, 'CURRENT')));
}

/**
 * A LevelDB database that an older swarmd wrote (before the marker) records a schema version; another
 * application's does not. Reading it opens it (LevelDB rotates its own LOG); no key is written.
 */
async function isOlderSwarmdDatabase(path: string): Promise<boolean> {
  if (!(await isFile(join(path, 'CURRENT')))) return false;
  const db = await openLevel(path, true);
  try {
    return (await schemaVersion(db)) !== undefined;
  } finally {
    await db.close();
  }
}

async function isFile(path: string): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  return info?.isFile() ?? false;
}

function openError(path: string, err: unknown): StoreError {
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code === 'LEVEL_LOCKED') {
    return new StoreError(
      'STORE_LOCKED',
      `database ${path} is in use by another process (a running swarmd daemon?): stop it or use another directory`,
      { cause: err },
    );
  }
  return new StoreError('STORE_OPEN', `cannot open database ${path}: ${fsErrorReason(err)}`, {
    cause: err,
  });
}

/**
 * Rewrites the tables holding keys in [start, end] (default: all) so deleted values leave the files too,
 * not only the index. Level is ClassicLevel on Node, whose typings `level` does not re-export.
 */
export async function compact(db: Db, start = '', end = '\uffff'): Promise<void> {
  const classic = db as unknown as { compactRange(start: string, end: string): Promise<void> };
  await classic.compactRange(start, end);
}
