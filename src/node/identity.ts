import { InputError, assertPrivateDir } from '../core/index.js';
import type { Store } from '../storage/index.js';
import {
  generateIdentity,
  identityFromBytes,
  identityToBytes,
  peerIdOf,
  type PrivateKey,
} from '../swarm/index.js';

/** The site's libp2p identity lives in its LevelDB; `swarmd init` creates it, `start` only reads it. */
export async function loadIdentity(store: Store): Promise<PrivateKey> {
  const bytes = await store.getIdentity();
  if (!bytes) {
    throw new InputError(
      'SITE_NOT_INITIALISED',
      `database ${store.path} holds no peer identity: run \`swarmd init --config <site.yaml>\` first`,
    );
  }
  return identityFromBytes(bytes);
}

export async function createIdentity(store: Store): Promise<{ peerId: string; created: boolean }> {
  const existing = await store.getIdentity();
  if (existing) return { peerId: peerIdOf(identityFromBytes(existing)), created: false };
  const key = await generateIdentity();
  await store.putIdentity(identityToBytes(key));
  return { peerId: peerIdOf(key), created: true };
}

/** The identity key sits in the data directory's LevelDB files: a folder others may enter is refused. */
export function assertDataDirPrivate(dataDir: string): Promise<void> {
  return assertPrivateDir(dataDir, { what: 'data directory', holds: 'the peer identity key' });
}
