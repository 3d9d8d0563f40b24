import { describe, expect, it } from 'vitest';
import { UpdateStore } from '../../src/swarm/transfer/index.js';

/** A 2.5 MB update announced by a sender: three chunks the receiver's store waits for. */
function announced() {
  const sender = new UpdateStore();
  const bytes = new Uint8Array(2_500_000).map((_, i) => i % 251);
  const manifest = sender.holdBytes(bytes, { kind: 'model', samples: 10, baseCommitHash: null }, 'a', 1);
  const receiver = new UpdateStore();
  expect(receiver.expect(manifest, 'a', 1, 0)).toBe(true);
  return { receiver, hash: manifest.updateHash };
}

describe('repairs of arriving updates', () => {
  it('repairs an update whose chunks stopped arriving, once, until that repair is done', () => {
    const { receiver, hash } = announced();
    expect(receiver.takeRepairs(1000, 2000)).toEqual([]);
    const [repair] = receiver.takeRepairs(2000, 2000);
    expect(repair).toMatchObject({ updateHash: hash, from: 'a' });
    expect(repair.missing.map((m) => m.index)).toEqual([0, 1, 2]);
    expect(receiver.takeRepairs(9000, 2000)).toEqual([]); // being repaired
    receiver.repairDone(hash, 9000);
    expect(receiver.takeRepairs(11_000, 2000)).toHaveLength(1);
  });

  it('does not repair an update while a pull of it runs, however long the sender takes', () => {
    const { receiver, hash } = announced();
    receiver.fetching(hash);
    expect(receiver.takeRepairs(60_000, 2000)).toEqual([]);
    receiver.repairDone(hash, 60_000);
    expect(receiver.takeRepairs(61_000, 2000)).toEqual([]);
    expect(receiver.takeRepairs(62_000, 2000).map((r) => r.updateHash)).toEqual([hash]);
  });
});
