import { stat } from 'node:fs/promises';
import { InputError, fsErrorReason } from '../core/index.js';
import { loadKeyFile } from '../inr/index.js';
import { migrateCheckpointFile, migrateStore } from '../storage/index.js';

export interface MigrateOptions {
  /** A version-1 site database (dataDir) or `swarmd train --out` folder. */
  db?: string;
  /** A version-1 exported `.swck` file. */
  checkpoint?: string;
  keyPath: string;
}

/** `swarmd migrate`: seals the plain checkpoints an older swarmd wrote, in place; returns a line to print. */
export async function migrateCheckpoints(o: MigrateOptions): Promise<string> {
  if ((o.db === undefined) === (o.checkpoint === undefined))
    throw new InputError('MIGRATE_TARGET', 'pass exactly one of --db <dir> and --checkpoint <file>');
  const key = await loadKeyFile(o.keyPath);
  if (o.checkpoint !== undefined) {
    await assertCheckpointFile(o.checkpoint);
    await migrateCheckpointFile(o.checkpoint, key);
    return `encrypted ${o.checkpoint} under key ${key.fingerprint}`;
  }
  const n = await migrateStore(o.db!, key);
  return n === 0
    ? `database ${o.db} needed no migration`
    : `encrypted ${n} checkpoint(s) in ${o.db} under key ${key.fingerprint}`;
}

async function assertCheckpointFile(path: string): Promise<void> {
  const info = await stat(path).catch((err: unknown) => {
    throw new InputError('MIGRATE_TARGET', `cannot read --checkpoint ${path}: ${fsErrorReason(err)}`, {
      cause: err,
    });
  });
  if (info.isDirectory()) {
    throw new InputError(
      'MIGRATE_TARGET',
      `--checkpoint ${path} is a folder: --checkpoint takes an exported .swck file; for a database folder pass --db ${path}`,
    );
  }
  if (!info.isFile()) throw new InputError('MIGRATE_TARGET', `--checkpoint ${path} is not a regular file`);
}
