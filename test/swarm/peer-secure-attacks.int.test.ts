import { afterEach, describe, expect, it } from 'vitest';
import {
  aggregatorOrder,
  decodeMaskedPayload,
  senderSetHash,
  unmaskRequestBytes,
  type PrivateKey,
  type WireMessage,
} from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { SWARM, TestSwarm, TestWork, stopAll, type Site } from './peer-harness.js';
import { TIMES, contributorsOf, expectMerged, quantisedFedAvg, startSecure } from './secure-peers.js';
import type { Tap } from './tap.js';

afterEach(stopAll);

/*
 * A lying member against secure rounds between real peers (issue 19's review, each attack played over
 * libp2p). Every attack must be refused with nothing revealed that helps it, and the liar named in the
 * status of the honest sites. The attacker's own peer code is honest; its tap rewrites what it sends (or
 * what one victim receives from it), re-signing with its identity key.
 */
type Unmask = Extract<Extract<WireMessage, { type: 'secagg' }>['body'], { step: 'unmask' }>;
type Sender = Unmask['senders'][number];

/** The roster hash a site masked against, read from the header of its own round-1 masked vector. */
function rosterHashTap(into: { hash?: string }): (m: WireMessage) => void {
  return (m) => {
    if (m.type !== 'chunk' || m.round !== 1 || into.hash !== undefined) return;
    try {
      into.hash = decodeMaskedPayload(m.body.bytes, 7).rosterHash;
    } catch {
      // another update's chunk (round 0 statistics are not masked): not the one that carries the header
    }
  };
}

/** An unmask request for `senders`, signed by `key` as the real aggregator would sign it. */
async function signedRequest(
  key: PrivateKey,
  rosterHash: string,
  senders: Sender[],
  silent: string[] = [],
): Promise<Unmask> {
  const setHash = senderSetHash({ swarmId: SWARM, round: 1 }, rosterHash, { senders, silent });
  const signature = await key.sign(unmaskRequestBytes({ swarmId: SWARM, round: 1 }, setHash));
  return { step: 'unmask', senders, ...(silent.length > 0 ? { silent } : {}), signature };
}

const isStep = (m: WireMessage, step: string) => m.type === 'secagg' && m.round === 1 && m.body.step === step;

/** The offences `site` holds against `peerId`, by kind. */
const offencesOf = (site: Site, peerId: string) =>
  site.peer.status().members.find((m) => m.peerId === peerId)?.offences ?? {};

/** Taps every site: what each sent (after any rewrite), for the assertions. */
function recorders(n: number): { sent: WireMessage[][]; taps: Tap[] } {
  const sent = Array.from({ length: n }, () => [] as WireMessage[]);
  return { sent, taps: sent.map((out) => ({ onOut: (m: WireMessage) => (out.push(m), m) })) };
}

describe('secure rounds against a lying member', () => {
  it('refuses an unmask request naming two senders (below minPeers), and names the asker', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, ...TIMES }); // minPeers 3, t = 2
    const m = swarm.members.indexOf(aggregatorOrder(SWARM, 1, swarm.members)[0]);
    const [v, w] = [0, 1, 2].filter((k) => k !== m);
    const roster: { hash?: string } = {};
    const { sent, taps } = recorders(3);
    let forged: string | undefined;
    taps[m] = {
      onOut: async (msg) => {
        rosterHashTap(roster)(msg);
        if (msg.type !== 'secagg' || !isStep(msg, 'unmask') || msg.body.step !== 'unmask') return msg;
        // {M, V}: M subtracts its own update from the sum and reads V's.
        const two = msg.body.senders.filter((x) => [swarm.members[m], swarm.members[v]].includes(x.peerId));
        const body = await signedRequest(swarm.keys[m], roster.hash!, two);
        forged = senderSetHash({ swarmId: SWARM, round: 1 }, roster.hash!, { senders: two, silent: [] });
        return { ...msg, body };
      },
    };
    const sites = await startSecure(swarm, taps);
    const honest = [sites[v], sites[w]];
    await waitFor(() => honest.every((s) => (offencesOf(s, sites[m].peerId)['unmask-request'] ?? 0) >= 1), {
      timeoutMs: 60_000,
      what: 'both honest sites naming the asker of the two-sender request',
    });
    for (const s of honest) {
      expect(s.warnings).toContainEqual({
        fields: {
          round: 1,
          peer: sites[m].peerId,
          reason: '2 senders, fewer than 3 (max of the threshold and minPeers)',
        },
        msg: 'refused a secure-round message (secagg-unmask-refused)',
      });
    }
    expect(forged).toBeDefined();
    // The next aggregator in turn asks for all three; nobody honest ever signed or revealed for {M, V}.
    await Promise.all(honest.map((s) => s.peer.waitForRound(1, 60_000)));
    for (const s of honest) expect(contributorsOf(s)).toEqual([...swarm.members].sort());
    expectMerged(honest, quantisedFedAvg(100, [0, 1, 2]));
    for (const k of [v, w]) {
      const signedSets = sent[k].filter((x) => isStep(x, 'consistency'));
      expect(signedSets.length).toBeGreaterThan(0);
      for (const x of signedSets)
        expect(x.type === 'secagg' && 'setHash' in x.body && x.body.setHash).not.toBe(forged);
    }
  }, 150_000);

  it('refuses an equivocated request: the site told "V dropped" holds V\'s vector and reveals nothing of V', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, minPeers: 2, ...TIMES });
    const m = swarm.members.indexOf(aggregatorOrder(SWARM, 1, swarm.members)[0]);
    const [v, w] = [0, 1, 2].filter((k) => k !== m);
    const V = swarm.members[v];
    const roster: { hash?: string } = {};
    const { sent, taps } = recorders(3);
    taps[m] = { onOut: (msg) => (rosterHashTap(roster)(msg), msg) };
    // W is told by M that V dropped (M signs that set too): V would reveal its seed, W V's key share. The
    // lie is told once W holds V's masked vector (gossip may bring it after M's request otherwise).
    let vectorOfV = false;
    taps[w] = {
      ...taps[w],
      onIn: (msg) => {
        if (msg.type === 'chunk' && msg.from === V && msg.round === 1) vectorOfV = true;
      },
      rewriteIn: async (msg) => {
        if (msg.from !== swarm.members[m] || !isStep(msg, 'unmask') || msg.type !== 'secagg') return msg;
        if (msg.body.step !== 'unmask') return msg;
        await waitFor(() => vectorOfV, { timeoutMs: 30_000, what: "V's masked vector at W" });
        const others = msg.body.senders.filter((x) => x.peerId !== V);
        return { ...msg, body: await signedRequest(swarm.keys[m], roster.hash!, others) };
      },
    };
    const sites = await startSecure(swarm, taps);
    await waitFor(() => (offencesOf(sites[w], sites[m].peerId)['unmask-request'] ?? 0) >= 1, {
      timeoutMs: 60_000,
      what: 'W naming M for the equivocated request',
    });
    expect(sites[w].warnings).toContainEqual({
      fields: {
        round: 1,
        peer: sites[m].peerId,
        reason: `calls ${V} dropped, whose masked vector this peer holds`,
      },
      msg: 'refused a secure-round message (secagg-unmask-refused)',
    });
    // V and M reveal for the set M signed for V (V's seed); W never reveals V's key share.
    await waitFor(() => sent[v].some((x) => isStep(x, 'reveal')), { timeoutMs: 60_000, what: "V's reveal" });
    await sites[v].peer.waitForRound(1, 60_000);
    const keyOfV = sent[w].filter(
      (x) =>
        isStep(x, 'reveal') &&
        x.type === 'secagg' &&
        x.body.step === 'reveal' &&
        x.body.shares.some((s) => s.dealer === V && s.kind === 'key'),
    );
    expect(keyOfV).toEqual([]);
    expect(contributorsOf(sites[v])).toEqual([...swarm.members].sort());
  }, 150_000);

  it('refuses an unmask request from a member whose turn has not come, and names it', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, ...TIMES });
    const order = aggregatorOrder(SWARM, 1, swarm.members);
    const [a, n] = [swarm.members.indexOf(order[0]), swarm.members.indexOf(order[2])];
    const h = 3 - a - n;
    const roster: { hash?: string } = {};
    const manifests = new Map<string, string>(); // sender → masked vector hash (round 1)
    let injected = false;
    const { taps } = recorders(3);
    const noteManifest = (msg: WireMessage) => {
      if (msg.type === 'update-manifest' && msg.round === 1) manifests.set(msg.from, msg.body.updateHash);
    };
    taps[n] = {
      onIn: noteManifest,
      onOut: async (msg) => {
        rosterHashTap(roster)(msg);
        noteManifest(msg);
        if (injected || msg.type !== 'hello' || manifests.size < 3 || roster.hash === undefined) return msg;
        injected = true;
        const senders = [...manifests].map(([peerId, maskedHash]) => ({ peerId, maskedHash }));
        const request = await signedRequest(swarm.keys[n], roster.hash, senders);
        return [msg, { ...msg, type: 'secagg', round: 1, body: request } as WireMessage];
      },
    };
    // The aggregator in turn asks a few seconds late, so the early request is the first anyone sees.
    taps[a] = {
      onOut: async (msg) => {
        if (isStep(msg, 'unmask')) await new Promise((r) => setTimeout(r, 4000));
        return msg;
      },
    };
    // What the honest non-aggregator received and sent, in order.
    const timeline: [string, WireMessage][] = [];
    taps[h] = {
      onIn: (msg) => void timeline.push(['in', msg]),
      onOut: (msg) => (timeline.push(['out', msg]), msg),
    };
    const sites = await startSecure(swarm, taps);
    const honest = [sites[a], sites[h]];
    await waitFor(() => honest.every((s) => (offencesOf(s, sites[n].peerId)['out-of-turn'] ?? 0) >= 1), {
      timeoutMs: 60_000,
      what: 'the honest sites naming the member that asked out of turn',
    });
    await Promise.all(honest.map((s) => s.peer.waitForRound(1, 60_000)));
    expectMerged(honest, quantisedFedAvg(100, [0, 1, 2]));
    // The early request reached the honest non-aggregator first; it revealed (if it did: the sum may unmask
    // without it) only once a request in turn was in its hands: the aggregator's, or its own as the next one.
    const at = (dir: string, step: string, from?: string) =>
      timeline.findIndex(([d, m]) => d === dir && isStep(m, step) && (from === undefined || m.from === from));
    const early = at('in', 'unmask', swarm.members[n]);
    expect(early).toBeGreaterThanOrEqual(0);
    const inTurn = Math.min(
      ...[at('in', 'unmask', swarm.members[a]), at('out', 'unmask')].filter((i) => i >= 0),
    );
    expect(inTurn).toBeGreaterThan(early);
    const reveal = at('out', 'reveal');
    if (reveal >= 0) expect(reveal).toBeGreaterThan(inTurn);
  }, 150_000);

  it('refuses a roster that leaves out a member whose advert reached the others in time', async () => {
    // 4 members: t = 3 from the member list; the publisher drops V (its advert held by all) from the roster.
    const swarm = await TestSwarm.create(4, { maxRounds: 1, size: 100, minPeers: 3, ...TIMES });
    const p = swarm.members.indexOf(aggregatorOrder(SWARM, 1, swarm.members)[0]);
    const v = (p + 1) % 4;
    const { sent, taps } = recorders(4);
    taps[p] = {
      onOut: async (msg) => {
        if (msg.type !== 'secagg' || msg.body.step !== 'roster' || msg.round !== 1) return msg;
        await new Promise((r) => setTimeout(r, 3000)); // past the grace: every advert arrived well before
        const adverts = msg.body.adverts.filter((x) => x.peerId !== swarm.members[v]);
        return { ...msg, body: { ...msg.body, adverts } };
      },
    };
    const sites = await startSecure(swarm, taps);
    const others = [0, 1, 2, 3].filter((k) => k !== p && k !== v);
    await waitFor(() => others.every((k) => (offencesOf(sites[k], sites[p].peerId).roster ?? 0) >= 1), {
      timeoutMs: 60_000,
      what: 'the other sites naming the roster publisher',
    });
    for (const k of others) {
      expect(sites[k].warnings).toContainEqual(
        expect.objectContaining({ msg: 'refused a secure-round message (secagg-roster)' }),
      );
      expect(sent[k].filter((x) => isStep(x, 'shares'))).toEqual([]); // dealt nothing under that roster
      expect(sites[k].work.applied.find((x) => x.round === 1)).toBeUndefined();
    }
  }, 150_000);

  it('leaves out a masked vector claiming 2^20 samples (round 0 fixed its count) and names the claimer', async () => {
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, minPeers: 2, ...TIMES });
    const liar = 2;
    const inflating = new TestWork(liar, 100, swarm.members, {
      samples: (round, s) => (round === 1 ? 2 ** 20 : s),
    });
    const sites = await startSecure(swarm, [], [undefined, undefined, inflating]);
    const honest = sites.slice(0, 2);
    await Promise.all(honest.map((s) => s.peer.waitForRound(1, 60_000)));
    for (const s of honest) expect(contributorsOf(s)).toEqual([sites[0].peerId, sites[1].peerId].sort());
    expectMerged(honest, quantisedFedAvg(100, [0, 1]));
    await waitFor(
      () => honest.every((s) => (offencesOf(s, sites[liar].peerId)['invalid-update'] ?? 0) >= 1),
      {
        timeoutMs: 30_000,
        what: 'both honest sites naming the inflating member',
      },
    );
  }, 150_000);
});
