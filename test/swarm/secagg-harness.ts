import { createCipheriv, createHash } from 'node:crypto';
import {
  createAdvert,
  createSecureRound,
  dealShares,
  encodeUpdate,
  generateRoundKeys,
  maskUpdate,
  openShares,
  revealShares,
  type FixedPointParams,
  type HeldShares,
  type RandomBytes,
  type RevealedShare,
  type RoundKeys,
  type SecureRound,
  type ShareCommitments,
  type UnmaskInput,
} from '../../src/swarm/protocol/index.js';

/** A deterministic byte stream (AES-256-CTR under SHA-256(label)), standing in for crypto.randomBytes. */
export function seededRandom(label: string): RandomBytes {
  const key = createHash('sha256').update(label).digest();
  const cipher = createCipheriv('aes-256-ctr', key, new Uint8Array(16));
  return (length) => new Uint8Array(cipher.update(new Uint8Array(length)));
}

/** Deterministic updates in [−scale, scale), from a seed. */
export function sampleUpdate(label: string, length: number, scale = 1): Float32Array {
  const bytes = seededRandom(label)(length * 4);
  const words = new Uint32Array(bytes.buffer);
  return Float32Array.from(words, (w) => (w / 2 ** 32 - 0.5) * 2 * scale);
}

export const ctx = { swarmId: 'swarm-test', round: 7 };
export const ids = (n: number): string[] => Array.from({ length: n }, (_, i) => `12D3KooPeer${i}`);

export interface Site {
  id: string;
  keys: RoundKeys;
  update: Float32Array;
  samples: number;
  held: Map<string, HeldShares>;
}

export interface SetUp {
  round: SecureRound;
  sites: Site[];
  /** Dealer → holder → commitments (public). */
  commitments: Map<string, Map<string, ShareCommitments>>;
  /** Dealer → holder → envelope (what the wire carries). */
  envelopes: Map<string, Map<string, Uint8Array>>;
}

/** Advertise keys, build the roster, deal and open all shares: the set-up phase, every site honest. */
export function setUp(
  n: number,
  threshold: number,
  length: number,
  options: { degree?: number; seed?: string } = {},
): SetUp {
  const random = seededRandom(`keys-${options.seed ?? ''}-${n}`);
  const sites: Site[] = ids(n).map((id, i) => ({
    id,
    keys: generateRoundKeys(random),
    update: sampleUpdate(`update-${options.seed ?? ''}-${id}`, length, 2),
    samples: 100 + 37 * i,
    held: new Map(),
  }));
  const round = createSecureRound(
    ctx,
    sites.map((s) => createAdvert(ctx, s.id, s.keys)),
    { threshold, degree: options.degree, graphSeed: new Uint8Array(32).fill(9) },
  );
  const commitments = new Map<string, Map<string, ShareCommitments>>();
  const envelopes = new Map<string, Map<string, Uint8Array>>();
  for (const s of sites) {
    const dealt = dealShares(round, s.id, s.keys, random);
    commitments.set(s.id, dealt.commitments);
    envelopes.set(s.id, dealt.envelopes);
  }
  for (const dealer of sites) {
    for (const [holder, envelope] of envelopes.get(dealer.id)!) {
      const site = sites.find((s) => s.id === holder)!;
      const c = commitments.get(dealer.id)!.get(holder)!;
      site.held.set(dealer.id, openShares(round, holder, site.keys, dealer.id, envelope, c));
    }
  }
  return { round, sites, commitments, envelopes };
}

/** Masks the updates of `senders`, then every sender reveals for that sender set. */
export function maskAndReveal(s: SetUp, senders: readonly Site[], params: FixedPointParams): UnmaskInput {
  const masked = new Map<string, Float64Array>();
  for (const site of senders) {
    masked.set(
      site.id,
      maskUpdate(s.round, site.id, site.keys, encodeUpdate(site.update, site.samples, params)),
    );
  }
  const sentIds = senders.map((x) => x.id);
  const reveals = new Map<string, RevealedShare[]>();
  for (const site of senders) reveals.set(site.id, revealShares(s.round, site.held, sentIds));
  return { masked, reveals, commitments: s.commitments, elements: masked.values().next().value!.length };
}
