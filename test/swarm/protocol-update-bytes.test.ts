import { describe, expect, it } from 'vitest';
import { encodeTensors, type NamedTensors } from '../../src/core/index.js';
import {
  encodeContribution,
  recomputeMerge,
  sha256Hex,
  type HeldUpdates,
  type UpdateManifest,
} from '../../src/swarm/index.js';

const w = (...v: number[]): NamedTensors =>
  new Map([['w', { shape: [v.length], data: Float32Array.from(v) }]]);

/** A store holding these bytes by their content hash, with the manifest's sample count. */
function heldBy(entries: { bytes: Uint8Array; samples: number }[]): HeldUpdates & { hashes: string[] } {
  const map = new Map<string, { manifest: UpdateManifest; bytes: Uint8Array }>();
  const hashes = entries.map(({ bytes, samples }) => {
    const updateHash = sha256Hex(bytes);
    const manifest = {
      kind: 'model' as const,
      updateHash,
      samples,
      sizeBytes: bytes.length,
      chunkHashes: [updateHash],
      baseCommitHash: null,
    };
    map.set(updateHash, { manifest, bytes });
    return updateHash;
  });
  return { get: (h) => map.get(h), hashes };
}

const commitOf = (hashes: string[], peers: string[], samples: number[]) => ({
  round: 1,
  method: 'fedavg' as const,
  kind: 'model' as const,
  contributors: peers.map((peerId, i) => ({ peerId, updateHash: hashes[i], samples: samples[i] })),
});
const policy = { merge: 'fedavg' as const, reference: null };

describe('update bytes name their sender', () => {
  it('gives identical weights from two senders different hashes, and merges both with their own samples', () => {
    const same = w(1, 2, 4);
    const a = encodeContribution('peer-a', same);
    const b = encodeContribution('peer-b', same);
    expect(sha256Hex(a)).not.toBe(sha256Hex(b));
    const store = heldBy([
      { bytes: a, samples: 1 },
      { bytes: b, samples: 3 },
    ]);
    const r = recomputeMerge(store, commitOf(store.hashes, ['peer-a', 'peer-b'], [1, 3]), policy);
    expect(r.ok && [...r.merged.get('w')!.data]).toEqual([1, 2, 4]);
  });

  it('leaves out, as a malformed exclusion, an update that names another sender or does not decode', () => {
    const store = heldBy([
      { bytes: encodeContribution('peer-a', w(1)), samples: 1 }, // replayed by peer-b as its own
      { bytes: encodeTensors(w(2)), samples: 1 }, // no sender at all (an older swarmd's bytes)
      { bytes: encodeContribution('peer-c', w(3)), samples: 1 },
    ]);
    const r = recomputeMerge(
      store,
      commitOf(store.hashes, ['peer-b', 'peer-x', 'peer-c'], [1, 1, 1]),
      policy,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('invalid-update');
    expect(r.excluded?.map((x) => [x.peerId, x.reason])).toEqual([
      ['peer-b', 'malformed'],
      ['peer-x', 'malformed'],
    ]);
    expect(r.excluded?.[0].detail).toMatch(/names sender peer-a, not the contributor/);
  });
});
