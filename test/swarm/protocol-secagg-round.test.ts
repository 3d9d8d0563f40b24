import { describe, expect, it } from 'vitest';
import {
  addInto,
  decodeSum,
  encodeUpdate,
  openShares,
  revealPairSeeds,
  unmask,
  wrongLengthSenders,
  type FixedPointParams,
} from '../../src/swarm/protocol/index.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';
import { maskAndReveal, setUp, type Site } from './secagg-harness.js';

const params: FixedPointParams = { fractionalBits: 20, maxTotalSamples: 2 ** 20 };
const LENGTH = 257;

function plainSum(sites: readonly Site[]): Float64Array {
  const sum = new Float64Array(LENGTH + 1);
  for (const s of sites) addInto(sum, encodeUpdate(s.update, s.samples, params));
  return sum;
}

describe('secure aggregation round', () => {
  it('unmasks without a member that never dealt, from the pairwise seeds the senders reveal', () => {
    const s = setUp(5, 3, LENGTH);
    const silent = s.sites[2];
    const senders = s.sites.filter((x) => x !== silent);
    // The silent member dealt nothing: nobody holds its shares, and nobody committed to any.
    for (const x of senders) x.held.delete(silent.id);
    const commitments = new Map([...s.commitments].filter(([dealer]) => dealer !== silent.id));
    const input = { ...maskAndReveal(s, senders, params), commitments };
    expect(() => unmask(s.round, input)).toThrow(/valid key shares of .*threshold is 3/);
    const pairSeeds = new Map(
      senders.map((x) => [
        x.id,
        new Map(revealPairSeeds(s.round, x.id, x.keys, [silent.id]).map((p) => [p.peer, p.seed])),
      ]),
    );
    const result = unmask(s.round, { ...input, silent: new Set([silent.id]), pairSeeds });
    expect([...result.sum]).toEqual([...plainSum(senders)]);
    // A missing seed stalls with a reason; a wrong one gives no plausible sum (slot 0 is not Σ samples).
    const missing = new Map(pairSeeds);
    missing.delete(senders[0].id);
    expect(() => unmask(s.round, { ...input, silent: new Set([silent.id]), pairSeeds: missing })).toThrow(
      /has not revealed its pairwise seed/,
    );
    const wrong = new Map(pairSeeds);
    wrong.set(senders[0].id, new Map([[silent.id, new Uint8Array(32).fill(1)]]));
    const garbled = unmask(s.round, { ...input, silent: new Set([silent.id]), pairSeeds: wrong });
    expect(() => decodeSum(garbled.sum, params)).toThrow(/summed sample count/);
  });

  it('masks cancel exactly: Σ masked − self masks = Σ plain, n = 2..10', () => {
    for (let n = 2; n <= 10; n++) {
      const s = setUp(n, Math.floor(n / 2) + 1, LENGTH);
      const input = maskAndReveal(s, s.sites, params);
      const result = unmask(s.round, input);
      expect(result.contributors).toEqual(s.sites.map((x) => x.id));
      expect(result.dropped).toEqual([]);
      expect([...result.sum]).toEqual([...plainSum(s.sites)]);
    }
  });

  it('recovers the exact sum of the survivors when 1..n − t drop after set-up', () => {
    const n = 7;
    const t = 4;
    const s = setUp(n, t, LENGTH);
    for (let drops = 1; drops <= n - t; drops++) {
      const survivors = s.sites.filter((_, i) => i % n >= drops); // the first `drops` sites are gone
      const result = unmask(s.round, maskAndReveal(s, survivors, params));
      expect(result.dropped).toEqual(s.sites.slice(0, drops).map((x) => x.id));
      expect([...result.sum]).toEqual([...plainSum(survivors)]);
    }
  });

  it('recovers survivors with a SecAgg+ graph (k = 4 of 9) and dropouts', () => {
    const s = setUp(9, 3, LENGTH, { degree: 4 });
    expect(s.round.neighbours.get(s.sites[0].id)!.length).toBe(4);
    const survivors = s.sites.filter((_, i) => i !== 2 && i !== 5);
    const result = unmask(s.round, maskAndReveal(s, survivors, params));
    expect([...result.sum]).toEqual([...plainSum(survivors)]);
  });

  it('abandons a round with fewer than t survivors, with the reason, and reveals nothing', () => {
    const s = setUp(5, 4, LENGTH);
    expect(() => maskAndReveal(s, s.sites.slice(0, 3), params)).toThrow(
      /3 senders, fewer than the threshold 4: reveal nothing/,
    );
    const masked = new Map(s.sites.slice(0, 3).map((x) => [x.id, new Float64Array(LENGTH + 1)]));
    const input = { masked, reveals: new Map(), commitments: s.commitments, elements: LENGTH + 1 };
    expect(() => unmask(s.round, input)).toThrow(/3 masked vectors, fewer than the threshold 4/);
  });

  it('refuses a threshold below a majority of the share holders', () => {
    expect(() => setUp(6, 3, 8)).toThrow(/threshold 3 is below a majority \(4\) of the 6 share holders/);
  });

  it('detects a wrong revealed share by name and still unmasks from the honest ones', () => {
    const s = setUp(6, 4, LENGTH);
    const survivors = s.sites.slice(1);
    const input = maskAndReveal(s, survivors, params);
    const liar = survivors[2].id;
    const reveals = new Map(input.reveals);
    reveals.set(
      liar,
      reveals.get(liar)!.map((r) => ({ ...r, y: Uint8Array.from(r.y, (b, i) => (i === 65 ? b ^ 1 : b)) })),
    );
    const result = unmask(s.round, { ...input, reveals });
    expect(result.rejectedRevealers).toEqual([liar]);
    expect([...result.sum]).toEqual([...plainSum(survivors)]);
  });

  it('stalls with a reason rather than a wrong sum when too few honest shares remain', () => {
    const s = setUp(5, 4, LENGTH);
    const input = maskAndReveal(s, s.sites, params);
    const reveals = new Map(input.reveals);
    reveals.set(s.sites[0].id, []);
    reveals.set(
      s.sites[1].id,
      reveals.get(s.sites[1].id)!.map((r) => ({ ...r, y: new Uint8Array(66) })),
    );
    expect(() => unmask(s.round, { ...input, reveals })).toThrow(/3 valid seed shares .* threshold is 4/);
  });

  it('rejects a dealer whose envelope differs from its commitments, and a forged envelope', () => {
    const s = setUp(4, 3, 8);
    const [dealer, holder] = s.sites;
    const envelope = s.envelopes.get(dealer.id)!.get(holder.id)!;
    const wrong = { seed: '00'.repeat(32), key: s.commitments.get(dealer.id)!.get(holder.id)!.key };
    expect(() => openShares(s.round, holder.id, holder.keys, dealer.id, envelope, wrong)).toThrow(
      /differ from its commitments/,
    );
    const right = s.commitments.get(dealer.id)!.get(holder.id)!;
    const forged = Uint8Array.from(envelope, (b, i) => (i === 0 ? b ^ 1 : b));
    expect(() => openShares(s.round, holder.id, holder.keys, dealer.id, forged, right)).toThrow(
      /authentication/,
    );
  });

  it('stalls, naming the dealer, when shares rebuild a secret other than the one it committed to', () => {
    const s = setUp(4, 3, 8);
    const input = maskAndReveal(s, s.sites, params);
    const dealer = s.sites[2].id;
    const roster = s.round.roster.map((a) =>
      a.peerId === dealer ? { ...a, selfSeedCommitment: 'ff'.repeat(32) } : a,
    );
    expect(() => unmask({ ...s.round, roster }, input)).toThrow(
      /shares of 12D3KooPeer2 rebuild a secret that differs from its commitment/,
    );
  });

  it('names senders of a masked vector of the wrong length', () => {
    const s = setUp(3, 2, 8);
    const input = maskAndReveal(s, s.sites, params);
    const masked = new Map(input.masked);
    masked.set(s.sites[1].id, new Float64Array(8));
    expect(wrongLengthSenders(masked, 9)).toEqual([s.sites[1].id]);
    expect(() => unmask(s.round, { ...input, masked })).toThrow(/of 12D3KooPeer1 do not have 9 residues/);
  });

  it('decodes to the float64 FedAvg of the quantised updates (numpy)', (ctx) => {
    skipIfMissing(ctx, pythonMissing('numpy'));
    const s = setUp(5, 3, LENGTH);
    const survivors = s.sites.filter((_, i) => i !== 3);
    const decoded = decodeSum(unmask(s.round, maskAndReveal(s, survivors, params)).sum, params);
    const reference = runPython<number[]>(
      `
import json, sys
import numpy as np
d = json.load(sys.stdin)
f = d['fractionalBits']
x = np.array(d['updates'], dtype=np.float32).astype(np.float64)
s = np.array(d['samples'], dtype=np.int64)
q = np.floor(x * 2.0 ** f + 0.5).astype(np.int64)
total = (s[:, None] * q).sum(axis=0)
print(json.dumps((total.astype(np.float64) / (float(s.sum()) * 2.0 ** f)).tolist()))
`,
      {
        fractionalBits: params.fractionalBits,
        updates: survivors.map((x) => [...x.update]),
        samples: survivors.map((x) => x.samples),
      },
    );
    expect(decoded.samples).toBe(survivors.reduce((a, x) => a + x.samples, 0));
    expect([...decoded.mean]).toEqual(reference); // bit-exact: one integer sum, one division
  });
});
