import { InputError } from '../core/index.js';
import { loadKeyFile } from '../inr/index.js';
import { migrateCheckpointFile, migrateIdentity, migrateStore } from '../storage/index.js';

export interface MigrateOptions {
  /** A version-1 site database (dataDir) or `swarmd train --out` folder. */
  db?: string;
  /** A version-1 exported `.swck` file. */
  checkpoint?: string;
  keyPath: string;
}

/**
 * `swarmd migrate`: seals the plain checkpoints and the raw peer identity an older swarmd wrote, in place;
 * returns a line to print.
 */
export async function migrateCheckpoints(o: MigrateOptions): Promise<string> {
  if ((o.db === undefined) === (o.checkpoint === undefined))
    throw new InputError('MIGRATE_TARGET', 'pass exactly one of --db <dir> and --checkpoint <file>');
  const key = await loadKeyFile(o.keyPath);
  if (o.checkpoint !== undefined) {
    await migrateCheckpointFile(o.checkpoint, key);
    return `encrypted ${o.checkpoint} under key ${key.fingerprint}`;
  }
  const n = await migrateStore(o.db!, key);
  const identity = await migrateIdentity(o.db!, key);
  const sealed = [...(n > 0 ? [`${n} checkpoint(s)`] : []), ...(identity ? ['the peer identity'] : [])];
  return sealed.length === 0
    ? `database ${o.db} needed no migration`
    : `encrypted ${sealed.join(' and ')} in ${o.db} under key ${key.fingerprint}`;
}
