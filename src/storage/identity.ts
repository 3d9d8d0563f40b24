import type { ModelKey } from '../inr/index.js';
import { StoreError } from './errors.js';
import {
  compact,
  notSwarmd,
  openLevel,
  schemaVersion,
  subOf,
  type Bytes,
  type Db,
  type Sub,
} from './level.js';
import { identitySealer, isSealedIdentity, type Sealer } from './seal.js';

/*
 * The peer identity at rest: libp2p's private-key bytes sealed under a key derived from the model key, so a
 * copied data directory without the key file holds no signing key. The model key is the secret every site
 * already keeps apart from its database (it also seals the checkpoints); a key of its own would be one more
 * file to copy, back up and lose. A raw key an older swarmd wrote is sealed in place, peer id unchanged, the
 * first time the database is opened with the key (or by `swarmd migrate`).
 */

const ID = 'private-key';

/** Reads and writes the one identity of a database; without the model key it refuses both. */
export class SealedIdentity {
  private readonly sealer: Sealer | null;

  constructor(
    private readonly sub: Sub,
    private readonly path: string,
    key: ModelKey | undefined,
  ) {
    this.sealer = key ? identitySealer(key) : null;
  }

  /** The libp2p private-key bytes, or undefined when the database holds no identity yet. */
  async get(): Promise<Bytes | undefined> {
    const stored = await this.sub.get(ID);
    if (stored === undefined) return undefined;
    const sealer = this.needSealer();
    return isSealedIdentity(stored) ? sealer.open(ID, stored, `database ${this.path}`) : stored;
  }

  async put(bytes: Bytes): Promise<void> {
    await this.sub.put(ID, this.needSealer().seal(ID, bytes));
  }

  private needSealer(): Sealer {
    if (this.sealer) return this.sealer;
    throw new StoreError(
      'IDENTITY_SEALED',
      `the peer identity in database ${this.path} is sealed under the swarm's model key: pass the key file ` +
        "(the site config's keyFile) to the command that opens it",
    );
  }
}

/**
 * Seals a raw identity (an older swarmd's) in place under `key` and compacts it out of the files; returns
 * whether there was one. The bytes are not parsed: the peer id they make stays the same.
 */
export async function sealRawIdentity(db: Db, path: string, key: ModelKey): Promise<boolean> {
  const sub = subOf(db, 'identity');
  const stored = await sub.get(ID);
  if (stored === undefined || isSealedIdentity(stored)) return false;
  await new SealedIdentity(sub, path, key).put(stored);
  await compact(db, sub.prefix, `${sub.prefix}\uffff`);
  return true;
}

/** `swarmd migrate`'s step for the identity: seals a raw one in the swarmd database at `path`. */
export async function migrateIdentity(path: string, key: ModelKey): Promise<boolean> {
  const db = await openLevel(path, true);
  try {
    if ((await schemaVersion(db)) === undefined) throw notSwarmd(path, 'no swarmd schema version');
    return await sealRawIdentity(db, path, key);
  } finally {
    await db.close();
  }
}
