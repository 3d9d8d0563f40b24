import type { Outgoing } from '../net/index.js';
import { MAX_CHUNK_BYTES, pushedByGossip } from '../protocol/index.js';
import type { HeldUpdate } from '../transfer/index.js';

/** Announces an update, then (a small one) its chunk; stops when `current()` turns false. */
export async function publishUpdate(
  u: HeldUpdate,
  round: number,
  publish: (m: Outgoing) => Promise<boolean>,
  current: () => boolean,
): Promise<void> {
  const type = round === 0 ? 'stats' : 'update-manifest';
  await publish({ type, round, body: u.manifest } as Outgoing);
  if (!pushedByGossip(u.manifest)) return; // receivers pull the chunks
  for (const [index, hash] of u.manifest.chunkHashes.entries()) {
    if (!current()) return;
    const bytes = u.bytes.subarray(index * MAX_CHUNK_BYTES, (index + 1) * MAX_CHUNK_BYTES);
    await publish({ type: 'chunk', round, body: { updateHash: u.manifest.updateHash, hash, index, bytes } });
  }
}
