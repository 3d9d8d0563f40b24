import { createHash } from 'node:crypto';
import {
  advertBytes,
  aggregatorOrder,
  chooseGraphDegree,
  chooseThreshold,
  createSecureRound,
  dealShares,
  holdersOf,
  maskGraph,
  openShares,
  rosterHash,
  shareCommitment,
  SecAggError,
  type Advert,
  type HeldShares,
  type RandomBytes,
  type RevealedShare,
  type RoundContext,
  type RoundKeys,
  type SecAggMessageBody,
  type SecureRound,
  type ShareCommitments,
} from '../protocol/index.js';

/*
 * What one peer knows of one secure round, fed by the round's messages in any order: the signed adverts,
 * the roster (fixed once, by its first valid publisher), every dealer's public share commitments, the shares
 * dealt to this peer, the unmask request and the revealed shares. Pure bookkeeping: no I/O, no timers.
 */
export interface SecureParams {
  dropoutFraction: number;
  graphDegree: number | 'auto' | 'all';
  /** Fewest contributors a roster may name (max(3, minPeers)). */
  minRoster: number;
}

type Step<S extends SecAggMessageBody['step']> = Extract<SecAggMessageBody, { step: S }>;
export type SignedAdvert = Advert & { signature: Uint8Array };
export type Verify = (peerId: string, bytes: Uint8Array, sig: Uint8Array) => Promise<boolean>;

export class SecureRoundState {
  keys: RoundKeys | null = null;
  readonly adverts = new Map<string, SignedAdvert>();
  roster: { round: SecureRound; hash: string; publisher: string } | null = null;
  readonly commitments = new Map<string, Map<string, ShareCommitments>>();
  readonly held = new Map<string, HeldShares>();
  /** Dealers whose shares for this peer failed their checks, with why. */
  readonly badDealers = new Map<string, string>();
  unmask: { senders: { peerId: string; maskedHash: string }[]; silent: string[]; from: string } | null = null;
  revealed = false;
  readonly reveals = new Map<string, readonly RevealedShare[]>();
  /** Revealer → silent member → the pairwise seed it revealed (for members that never dealt). */
  readonly pairSeeds = new Map<string, Map<string, Uint8Array>>();
  private readonly early: { from: string; body: Step<'shares'> }[] = [];

  constructor(
    readonly ctx: RoundContext,
    readonly self: string,
  ) {}

  async addAdvert(from: string, body: Step<'advert'>, verify: Verify): Promise<boolean> {
    if (this.adverts.has(from)) return false;
    const { maskPublicKey, channelPublicKey, selfSeedCommitment, signature } = body;
    const advert = { peerId: from, maskPublicKey, channelPublicKey, selfSeedCommitment, signature };
    if (!(await verify(from, advertBytes(this.ctx, advert), body.signature))) return false;
    if (this.adverts.has(from)) return false;
    this.adverts.set(from, advert);
    return true;
  }

  /** Accepts the first valid roster; throws SecAggError saying what is wrong with an invalid one. */
  async setRoster(
    from: string,
    body: Step<'roster'>,
    params: SecureParams,
    verify: Verify,
  ): Promise<boolean> {
    if (this.roster !== null) return false;
    const adverts = body.adverts.map((a) => ({ ...a }));
    const ids = adverts.map((a) => a.peerId);
    if (aggregatorOrder(this.ctx.swarmId, this.ctx.round, ids)[0] !== from) {
      throw new SecAggError('SECAGG_ROSTER', `roster from ${from}, who is not first in its own order`);
    }
    const round = buildRound(this.ctx, adverts, params);
    if (round.threshold !== body.threshold) {
      throw new SecAggError(
        'SECAGG_ROSTER',
        `roster threshold ${body.threshold}, expected ${round.threshold}`,
      );
    }
    const checks = await Promise.all(
      body.adverts.map((a) => verify(a.peerId, advertBytes(this.ctx, a), a.signature)),
    );
    if (checks.some((ok) => !ok))
      throw new SecAggError('SECAGG_ROSTER', `roster from ${from} has a forged advert`);
    if (this.roster !== null) return false;
    this.roster = { round, hash: rosterHash(round), publisher: from };
    for (const e of this.early.splice(0)) this.addShares(e.from, e.body);
    return true;
  }

  /** Records a dealer's commitments and opens the envelope dealt to this peer (once a roster is fixed). */
  addShares(from: string, body: Step<'shares'>): void {
    if (this.roster === null) {
      this.early.push({ from, body });
      return;
    }
    if (this.commitments.has(from)) return;
    const round = this.roster.round;
    if (!round.roster.some((a) => a.peerId === from)) return;
    const holders = holdersOf(round, from);
    const got = body.shares.map((s) => s.holder);
    if (got.length !== holders.length || got.some((h, i) => h !== holders[i])) {
      this.badDealers.set(from, `dealt to ${got.join(',')} instead of its holders`);
      return;
    }
    this.commitments.set(from, new Map(body.shares.map((s) => [s.holder, { seed: s.seed, key: s.key }])));
    const mine = body.shares.find((s) => s.holder === this.self);
    if (mine === undefined || this.keys === null || !this.onRoster()) return;
    try {
      this.held.set(from, openShares(round, this.self, this.keys, from, mine.envelope, mine));
    } catch (err) {
      if (!(err instanceof SecAggError)) throw err;
      this.badDealers.set(from, err.message);
    }
  }

  /** Records the round's sender set; throws SecAggError if the request is not one to reveal for. */
  acceptUnmask(from: string, senders: { peerId: string; maskedHash: string }[], silent: string[] = []): void {
    const roster = this.roster!.round;
    const ids = senders.map((x) => x.peerId);
    const onRoster = (id: string) => roster.roster.some((a) => a.peerId === id);
    const named = [...ids, ...silent];
    if (!onRoster(from) || !named.every(onRoster) || new Set(named).size !== named.length) {
      throw new SecAggError(
        'SECAGG_ROSTER',
        `unmask request from ${from} names peers off the roster, twice, or silent and sending`,
      );
    }
    if (ids.length < roster.threshold) {
      throw new SecAggError(
        'SECAGG_TOO_FEW',
        `unmask request for ${ids.length} senders, below the threshold`,
      );
    }
    this.unmask = { senders, silent, from };
  }

  /**
   * The roster this peer should publish now, or null: it publishes when it is the first live advertiser in
   * the round's rendezvous order and every live member advertised (or set-up time is over).
   */
  rosterToPublish(live: ReadonlySet<string>, setupOver: boolean, minRoster: number): SignedAdvert[] | null {
    if (this.roster !== null) return null;
    const ids = [...this.adverts.keys()].filter((p) => live.has(p));
    if (ids.length < minRoster) return null; // wait for more, until the round's deadline
    const all = [...live].every((p) => this.adverts.has(p));
    const first = aggregatorOrder(this.ctx.swarmId, this.ctx.round, ids)[0];
    return (all || setupOver) && first === this.self ? ids.map((p) => this.adverts.get(p)!) : null;
  }

  /** This peer's shares message: its secrets split among its holders, sealed to each (null: not dealing). */
  dealOwn(random: RandomBytes): Step<'shares'>['shares'] | null {
    if (this.keys === null || !this.onRoster()) return null;
    const dealt = dealShares(this.roster!.round, this.self, this.keys, random);
    return [...dealt.envelopes].map(([holder, envelope]) => ({
      ...{ holder, envelope },
      ...dealt.commitments.get(holder)!,
    }));
  }

  /** True when a share `revealer` revealed differs from its dealer's commitment (checked as it arrives). */
  badReveal(revealer: string): boolean {
    const round = this.roster?.round;
    return (this.reveals.get(revealer) ?? []).some((s) => {
      const expected = this.commitments.get(s.dealer)?.get(revealer)?.[s.kind];
      return (
        round !== undefined &&
        expected !== undefined &&
        expected !== shareCommitment(round, s.kind, s.dealer, revealer, s.y)
      );
    });
  }

  onRoster(): boolean {
    return this.roster?.round.roster.some((a) => a.peerId === this.self) ?? false;
  }

  /** Dealers whose shares this peer must hold before it masks: itself and its graph neighbours. */
  dealersOfMine(): string[] {
    return this.roster === null ? [] : holdersOf(this.roster.round, this.self);
  }
}

/** The round every peer derives alike from a roster and the swarm's secure options. */
export function buildRound(ctx: RoundContext, adverts: readonly Advert[], p: SecureParams): SecureRound {
  const n = adverts.length;
  if (n < p.minRoster) {
    throw new SecAggError(
      'SECAGG_TOO_FEW',
      `${n} sites advertised keys for round ${ctx.round}, a secure round needs ${p.minRoster}: abandoned`,
    );
  }
  const degree =
    p.graphDegree === 'all'
      ? n - 1
      : Math.min(n - 1, p.graphDegree === 'auto' ? chooseGraphDegree(n) : p.graphDegree);
  // Public and fixed by swarm and round, so no member picks its neighbours.
  const graphSeed = createHash('sha256').update(`swarmd-secagg-graph|${ctx.swarmId}|${ctx.round}`).digest();
  const ids = adverts.map((a) => a.peerId);
  const graph = maskGraph(ids, degree, graphSeed);
  const holders = Math.min(...ids.map((id) => graph.get(id)!.length + 1));
  const { threshold } = chooseThreshold(holders, p.dropoutFraction);
  return createSecureRound(ctx, adverts, { threshold, degree, graphSeed });
}
