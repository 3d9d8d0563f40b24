import { afterEach, describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import { pearson } from '../../src/models/regression-metrics.js';
import { aggregatorOrder, decodeMaskedPayload, type WireMessage } from '../../src/swarm/index.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { waitFor } from '../helpers/wait.js';
import { SWARM, TestSwarm, TestWork, stopAll } from './peer-harness.js';
import {
  TIMES,
  contributorsOf,
  expectMerged,
  quantisedFedAvg,
  roundOne,
  roundOneUpdate,
  startSecure,
  stopSite,
} from './secure-peers.js';
import { silentInUnmasking, type Tap } from './tap.js';

afterEach(stopAll);

/*
 * Secure rounds between real in-process peers over libp2p. Site k's round-1 update is float32(i/1000 +
 * (k+1)·0.01) with k+10 samples (TestWork), so every expected merge below is computed here or in numpy from
 * those numbers, not by the code under test.
 */
const NUMPY_FEDAVG = `
import json, sys, numpy as np
d = json.load(sys.stdin)
acc = np.zeros(len(d['updates'][0]), dtype=np.int64)
for u, s in zip(d['updates'], d['samples']):
    q = np.floor(np.array(u, dtype=np.float64) * 2.0**20 + 0.5).astype(np.int64)
    acc += s * q
mean = acc.astype(np.float64) / (sum(d['samples']) * 2.0**20)
print(json.dumps([float(v) for v in mean.astype(np.float32)]))
`;

describe('secure rounds between real peers', () => {
  it('commits the FedAvg of the quantised updates (numpy), and a curious member holds nothing correlated', async (ctx) => {
    ctx.skip(pythonMissing('numpy') !== undefined, pythonMissing('numpy'));
    const size = 100_000; // |r| of unrelated vectors is about 1/√size ≈ 0.003
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size, ...TIMES });
    const heard: WireMessage[] = [];
    const chunks = new Map<string, Uint8Array>(); // chunk hash → bytes, from gossip or a direct fetch
    const manifests = new Map<string, string[]>(); // update hash → its chunk hashes
    const statsOf = new Map<string, string>(); // sender → its round-0 statistics update hash
    const curious: Tap = {
      onIn: (m) => {
        heard.push(m);
        if (m.type === 'chunk') chunks.set(m.body.hash, m.body.bytes);
        if (m.type === 'update-manifest' || m.type === 'stats')
          manifests.set(m.body.updateHash, m.body.chunkHashes);
        if (m.type === 'stats') statsOf.set(m.from, m.body.updateHash);
      },
      onResponse: (m) => {
        if (m.type !== 'fetch-response') return;
        if (m.body.kind === 'chunk') chunks.set(m.body.hash, m.body.bytes);
        if (m.body.kind === 'update') manifests.set(m.body.manifest.updateHash, m.body.manifest.chunkHashes);
      },
    };
    const sites = await startSecure(swarm, [curious]);
    await Promise.all(sites.map((s) => s.peer.waitForRound(1, 90_000)));

    // Round 0 is masked too: the statistics sum is exact (TestWork: count k + 10, sum (k, 2k, 3k)), and what
    // the curious site got from site k is a masked vector, not its statistics.
    for (const s of sites) {
      const merged = s.work.applied.find((a) => a.round === 0)!.merged;
      expect(Array.from(merged.get('count')!.data)).toEqual([33]);
      expect(Array.from(merged.get('sum')!.data)).toEqual([3, 6, 9]);
    }
    for (const k of [1, 2]) {
      const hash = statsOf.get(sites[k].peerId)!;
      const bytes = Buffer.concat(manifests.get(hash)!.map((h) => chunks.get(h)!));
      const { residues, layout } = decodeMaskedPayload(bytes, 7);
      expect(layout.map((l) => l.name)).toEqual(['count', 'sum']);
      // Plain, slot 1 would be count · 2^12 and slots 2..4 (k, 2k, 3k) · 2^12.
      const plain = [1, (k + 10) * 4096, k * 4096, 2 * k * 4096, 3 * k * 4096];
      expect(Array.from(residues).filter((r, i) => r === plain[i]).length).toBeLessThanOrEqual(1);
    }

    const updates = [0, 1, 2].map((k) => Array.from(roundOneUpdate(size, k)));
    const want = runPython<number[]>(NUMPY_FEDAVG, { updates, samples: [10, 11, 12] });
    expectMerged(sites, Float32Array.from(want));
    for (const s of sites) expect(contributorsOf(s)).toEqual([...swarm.members].sort());

    // Site 0 is curious: the bytes it received for site k (its masked update) against k's true update.
    for (const k of [1, 2]) {
      const id = sites[k].peerId;
      const { updateHash } = roundOne(sites[0])!.commit.contributors.find((c) => c.peerId === id)!;
      const bytes = Buffer.concat(manifests.get(updateHash)!.map((h) => chunks.get(h)!));
      const masked = decodeMaskedPayload(bytes, 7).residues.subarray(1);
      const signed = Float64Array.from(masked, (r) => (r >= 2 ** 51 ? r - 2 ** 52 : r));
      const r = pearson(signed, roundOneUpdate(size, k));
      expect(Math.abs(r)).toBeLessThan(0.01);
      // Nothing else it heard from k carries k's weights: adverts, shares, reveals are a few KB at most.
      const other = heard.filter((m) => m.from === id && m.round === 1 && m.type === 'secagg');
      expect(other.length).toBeGreaterThan(0);
    }
  }, 150_000);

  it('commits with the site that stopped after sending its masked vector', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, minPeers: 2, ...TIMES });
    const got = [new Set<string>(), new Set<string>()];
    const taps: Tap[] = [0, 1].map((k) => ({
      onIn: (m: WireMessage) => void got[k].add(`${m.from}/${m.round}/${m.type}`),
    }));
    const sites = await startSecure(swarm, [...taps, { onOut: silentInUnmasking }]);
    const quitter = sites[2];
    await waitFor(() => got.every((g) => g.has(`${quitter.peerId}/1/chunk`)), {
      timeoutMs: 30_000,
      what: 'the masked vector of site 2 at sites 0 and 1',
    });
    await stopSite(quitter);
    await Promise.all(sites.slice(0, 2).map((s) => s.peer.waitForRound(1, 60_000)));
    for (const s of sites.slice(0, 2)) expect(contributorsOf(s)).toEqual([...swarm.members].sort());
    expectMerged(sites.slice(0, 2), quantisedFedAvg(100, [0, 1, 2]));
  }, 120_000);

  it('commits without the site that stopped before sending, its masks rebuilt from its key shares', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, minPeers: 2, ...TIMES });
    // Sites 0 and 1 must hold site 2's shares before it stops, or its masks could not be rebuilt.
    const gotShares = [false, false];
    const taps: Tap[] = [0, 1].map((k) => ({
      onIn: (m: WireMessage) => {
        if (m.type === 'secagg' && m.round === 1 && m.body.step === 'shares' && m.from === swarm.members[2])
          gotShares[k] = true;
      },
    }));
    const hold = { beforeTrain: (round: number) => (round === 1 ? new Promise<void>(() => {}) : undefined) };
    const sites = await startSecure(swarm, taps, [], [{}, {}, hold]);
    await waitFor(() => gotShares.every(Boolean), {
      timeoutMs: 30_000,
      what: "site 2's shares at sites 0 and 1",
    });
    await stopSite(sites[2]);
    await Promise.all(sites.slice(0, 2).map((s) => s.peer.waitForRound(1, 60_000)));
    const honest = [sites[0].peerId, sites[1].peerId].sort();
    for (const s of sites.slice(0, 2)) expect(contributorsOf(s)).toEqual(honest);
    expectMerged(sites.slice(0, 2), quantisedFedAvg(100, [0, 1]));
  }, 120_000);

  it('drops a roster member that advertises and then deals no shares, and commits without it', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, minPeers: 2, ...TIMES });
    // The silent member is not the round's roster publisher (a silent publisher leaves no roster to go on).
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const k = swarm.members.indexOf(order[order.length - 1]);
    const silent: Tap = {
      onOut: (m) => (m.type === 'secagg' && m.round === 1 && m.body.step !== 'advert' ? null : m),
    };
    const taps: (Tap | undefined)[] = [undefined, undefined, undefined];
    taps[k] = silent;
    const sites = await startSecure(swarm, taps);
    const honest = sites.filter((_, i) => i !== k);
    await Promise.all(honest.map((s) => s.peer.waitForRound(1, 60_000)));
    const ids = honest.map((s) => s.peerId).sort();
    for (const s of honest) expect(contributorsOf(s)).toEqual(ids);
    expectMerged(
      honest,
      quantisedFedAvg(
        100,
        [0, 1, 2].filter((i) => i !== k),
      ),
    );
    for (const s of honest) {
      expect(s.peer.status().dropped['secagg-silent-dealer']).toBe(1);
      expect(s.warnings).toContainEqual({
        fields: {
          round: 1,
          silent: [sites[k].peerId],
          reason: expect.stringMatching(/dealt no shares within/),
        },
        msg: 'masking without members that dealt no shares',
      });
    }
  }, 120_000);

  it('abandons the round with a stated reason and writes nothing when fewer than t survive', async () => {
    // 4 sites, t = 3: sites 2 and 3 send their masked vectors, then take no part in unmasking.
    const swarm = await TestSwarm.create(4, { maxRounds: 1, size: 100, minPeers: 3, ...TIMES });
    const silent: Tap = { onOut: silentInUnmasking };
    const sites = await startSecure(swarm, [undefined, undefined, silent, silent]);
    await waitFor(
      () =>
        sites.slice(0, 2).every((s) => /secure round 1 abandoned/.test(s.peer.status().stalledReason ?? '')),
      {
        timeoutMs: 40_000,
        what: 'sites 0 and 1 stating why round 1 cannot be unmasked',
      },
    );
    for (const s of sites.slice(0, 2)) {
      expect(s.peer.status().stalledReason).toMatch(/cannot be unmasked|cannot unmask/);
      expect(s.peer.status().stalledReason).toMatch(/threshold is 3/);
      expect(roundOne(s)).toBeUndefined();
      expect(s.work.log.map((e) => e.round)).toEqual([0]);
    }
  }, 120_000);

  it('ignores a revealed share unlike its commitment, and names the revealer', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, ...TIMES });
    const lying: Tap = {
      onOut: (m) => {
        if (m.type !== 'secagg' || m.round !== 1 || m.body.step !== 'reveal') return m;
        const shares = m.body.shares.map((s) => ({
          ...s,
          y: Uint8Array.from(s.y, (b, i) => (i === 65 ? b ^ 1 : b)),
        }));
        return { ...m, body: { ...m.body, shares } };
      },
    };
    const sites = await startSecure(swarm, [undefined, undefined, lying]);
    await Promise.all(sites.map((s) => s.peer.waitForRound(1, 60_000)));
    expectMerged(sites, quantisedFedAvg(100, [0, 1, 2]));
    // Each honest peer checks every revealed share against its commitment as it arrives, even after the commit.
    const noticed = () => sites.slice(0, 2).map((s) => s.peer.status().dropped['secagg-bad-reveal'] ?? 0);
    await waitFor(() => noticed().every((n) => n === 1), { timeoutMs: 15_000, what: 'both naming the liar' });
    for (const s of sites.slice(0, 2)) {
      expect(s.warnings).toContainEqual({
        fields: { round: 1, peer: sites[2].peerId },
        msg: 'a member revealed a share unlike its commitment: ignored',
      });
    }
  }, 120_000);

  it('leaves out a masked vector of the wrong length and unmasks the others', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, minPeers: 2, ...TIMES });
    const longer = new (class extends TestWork {
      override async train(round: number, base: NamedTensors | null, signal: AbortSignal) {
        const r = await super.train(round, base, signal);
        const w = r.tensors.get('w')!.data;
        const data = Float32Array.from([...w, 0.5]);
        return { ...r, tensors: new Map([['w', { shape: [data.length], data }]]) };
      }
    })(2, 100, swarm.members);
    const sites = await startSecure(swarm, [], [undefined, undefined, longer]);
    await Promise.all(sites.map((s) => s.peer.waitForRound(1, 60_000)));
    const honest = [sites[0].peerId, sites[1].peerId].sort();
    for (const s of sites) expect(contributorsOf(s)).toEqual(honest);
    expectMerged(sites, quantisedFedAvg(100, [0, 1]));
    const excluded = sites.map((s) => s.peer.status().dropped['excluded-secagg'] ?? 0);
    expect(excluded[0] + excluded[1]).toBeGreaterThanOrEqual(1);
  }, 120_000);
});
