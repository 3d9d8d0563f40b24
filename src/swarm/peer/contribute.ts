import type { Outgoing } from '../net/index.js';
import {
  MAX_CHUNK_BYTES,
  MAX_GOSSIP_CHUNKS,
  planMerge,
  type Contributor,
  type HeldUpdates,
  type MergePolicy,
  type NamedExclusion,
  type Recomputed,
} from '../protocol/index.js';
import type { HeldUpdate } from '../transfer/index.js';
import type { PeerBook } from './book.js';
import type { SecureAggregation } from './secure-round.js';

/** Announces an update, then (one that fits gossip) its chunks; stops when `current()` turns false. */
export async function publishUpdate(
  u: HeldUpdate,
  round: number,
  publish: (m: Outgoing) => Promise<boolean>,
  current: () => boolean,
): Promise<void> {
  const type = round === 0 ? 'stats' : 'update-manifest';
  await publish({ type, round, body: u.manifest } as Outgoing);
  if (u.manifest.chunkHashes.length > MAX_GOSSIP_CHUNKS) return; // receivers pull the chunks
  for (const [index, hash] of u.manifest.chunkHashes.entries()) {
    if (!current()) return;
    const bytes = u.bytes.subarray(index * MAX_CHUNK_BYTES, (index + 1) * MAX_CHUNK_BYTES);
    await publish({ type: 'chunk', round, body: { updateHash: u.manifest.updateHash, hash, index, bytes } });
  }
}

/**
 * The aggregator's merge. Plain: updates that fail validation (non-finite, wrong shape, inflated sample count,
 * out-of-bound norm) are left out and named in the commit — every peer recomputes the same list — and the
 * rest merged if still a quorum. Secure: the masked sum; a masked vector that cannot be unmasked is no
 * verdict a verifier could recompute, so it is counted here, not named in the commit.
 */
export async function mergeForCommit(
  d: { store: HeldUpdates; book: PeerBook; secure?: SecureAggregation },
  c: { round: number; method: MergePolicy['merge']; kind: 'stats' | 'model'; contributors: Contributor[] },
  policy: MergePolicy,
  minPeers: number,
  signal: AbortSignal,
): Promise<{ r: Recomputed; contributors: Contributor[]; excluded: NamedExclusion[] }> {
  if (d.secure?.covers(c.round) !== true) {
    const { r, contributors, excluded } = planMerge(d.store, c, policy, minPeers);
    const named = excluded.map(({ peerId, updateHash, reason }) => ({ peerId, updateHash, reason }));
    return { r, contributors, excluded: named };
  }
  const { r, contributors, excluded } = await d.secure.aggregate(c.round, c.contributors, signal);
  for (const x of excluded) d.book.drop(`excluded-${x.reason}`);
  return { r, contributors, excluded: [] };
}
