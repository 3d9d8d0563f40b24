import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import {
  SecAggAdvertBodySchema,
  SecAggRevealBodySchema,
  SecAggSharesBodySchema,
  revealShares,
} from '../../src/swarm/protocol/index.js';
import { setUp } from './secagg-harness.js';

const packr = new Packr({ useRecords: false });
const viaMsgpack = (v: unknown): unknown => packr.unpack(packr.pack(v));

describe('secure-round message bodies', () => {
  const s = setUp(4, 3, 8);
  const [site] = s.sites;
  const advert = s.round.roster[0];

  it('accept what the protocol produces, after a msgpack round trip', () => {
    const advertBody = {
      maskPublicKey: advert.maskPublicKey,
      channelPublicKey: advert.channelPublicKey,
      selfSeedCommitment: advert.selfSeedCommitment,
      signature: new Uint8Array(64),
    };
    expect(SecAggAdvertBodySchema.safeParse(viaMsgpack(advertBody)).success).toBe(true);
    const shares = [...s.envelopes.get(site.id)!].map(([holder, envelope]) => ({
      holder,
      envelope,
      ...s.commitments.get(site.id)!.get(holder)!,
    }));
    expect(SecAggSharesBodySchema.safeParse(viaMsgpack({ shares })).success).toBe(true);
    const reveal = {
      shares: revealShares(
        s.round,
        site.held,
        s.sites.map((x) => x.id),
      ),
    };
    expect(SecAggRevealBodySchema.safeParse(viaMsgpack(reveal)).success).toBe(true);
  });

  it('refuse a public key or a share of the wrong length', () => {
    const body = { maskPublicKey: new Uint8Array(31), channelPublicKey: new Uint8Array(32) };
    const bad = { ...body, selfSeedCommitment: '0'.repeat(64), signature: new Uint8Array(64) };
    expect(SecAggAdvertBodySchema.safeParse(bad).success).toBe(false);
    const reveal = { shares: [{ dealer: site.id, kind: 'seed', y: new Uint8Array(65) }] };
    expect(SecAggRevealBodySchema.safeParse(reveal).success).toBe(false);
  });
});
