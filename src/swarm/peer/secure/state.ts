import { createHash } from 'node:crypto';
import {
  advertBytes,
  aggregatorOrder,
  chooseGraphDegree,
  countConsistent,
  createSecureRound,
  dealShares,
  holdersOf,
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
  type TensorLayout,
  type Recomputed,
} from '../../protocol/index.js';

/*
 * What one peer knows of one secure round, fed by the round's messages in any order: the signed adverts,
 * the roster (fixed once, by its first valid publisher), every dealer's public share commitments, the shares
 * dealt to this peer, the unmask request it accepted, the consistency signatures and the revealed shares.
 * Pure bookkeeping: no I/O, no timers.
 */
export interface SecureParams {
  dropoutFraction: number;
  graphDegree: number | 'auto' | 'all';
  /** Shamir threshold t, from the swarm's member list (never from the roster a publisher chose). */
  threshold: number;
  /** Fewest contributors a roster may name: max(3, minSenders). */
  minRoster: number;
  /** Fewest senders anything is revealed for: max(t, minPeers). */
  minSenders: number;
  /** c: members that may collude and lie (consistency quorum, ε against colluders). */
  maxColluders: number;
  /** How long before a roster an advert this peer held must be on it (the turn tolerance). */
  advertGraceMs: number;
}

type Step<S extends SecAggMessageBody['step']> = Extract<SecAggMessageBody, { step: S }>;
export type SignedAdvert = Advert & { signature: Uint8Array };
export type UnmaskSender = { peerId: string; maskedHash: string };
export type Verify = (peerId: string, bytes: Uint8Array, sig: Uint8Array) => Promise<boolean>;

export class SecureRoundState {
  keys: RoundKeys | null = null;
  readonly adverts = new Map<string, SignedAdvert & { atMs: number }>();
  roster: { round: SecureRound; hash: string; publisher: string } | null = null;
  readonly commitments = new Map<string, Map<string, ShareCommitments>>();
  readonly held = new Map<string, HeldShares>();
  /** Dealers whose shares for this peer failed their checks, with why. */
  readonly badDealers = new Map<string, string>();
  unmask: {
    senders: UnmaskSender[];
    silent: string[];
    from: string;
    setHash: string;
    signature: Uint8Array;
  } | null = null;
  revealed = false;
  /** Signer → the sender-set hash it signed in the consistency round. */
  readonly consistency = new Map<string, string>();
  /** This peer's own masked vector, once made: a request calling it dropped is refused like any held one. */
  own: { peerId: string; updateHash: string; samples: number } | null = null;
  private readonly reported = new Set<string>();
  /** Why this peer reveals nothing this round (an equivocating aggregator), once known. */
  poisoned: string | null = null;
  readonly reveals = new Map<string, readonly RevealedShare[]>();
  /** Revealer → silent member → the pairwise seed it revealed (for members that never dealt). */
  readonly pairSeeds = new Map<string, Map<string, Uint8Array>>();
  private readonly early: { from: string; body: Step<'shares'> }[] = [];

  constructor(
    readonly ctx: RoundContext,
    readonly self: string,
  ) {}

  async addAdvert(from: string, body: Step<'advert'>, verify: Verify, atMs: number): Promise<boolean> {
    if (this.adverts.has(from)) return false;
    const { maskPublicKey, channelPublicKey, selfSeedCommitment, signature } = body;
    const advert = { peerId: from, maskPublicKey, channelPublicKey, selfSeedCommitment, signature };
    if (!(await verify(from, advertBytes(this.ctx, advert), body.signature))) return false;
    if (this.adverts.has(from)) return false;
    this.adverts.set(from, { ...advert, atMs });
    return true;
  }

  /**
   * Accepts the first valid roster; throws SecAggError saying what is wrong with an invalid one: a publisher
   * not first in its own order, too few adverts for the member list's threshold, a forged advert, or one
   * leaving out a member whose advert this peer held advertGraceMs before (a hand-picked roster).
   */
  async setRoster(
    from: string,
    body: Step<'roster'>,
    params: SecureParams,
    verify: Verify,
    nowMs: number,
  ): Promise<boolean> {
    if (this.roster !== null) return false;
    const adverts = body.adverts.map((a) => ({ ...a }));
    const ids = adverts.map((a) => a.peerId);
    if (aggregatorOrder(this.ctx.swarmId, this.ctx.round, ids)[0] !== from) {
      throw new SecAggError('SECAGG_ROSTER', `roster from ${from}, who is not first in its own order`);
    }
    const left = [...this.adverts.values()]
      .filter((a) => a.atMs <= nowMs - params.advertGraceMs && !ids.includes(a.peerId))
      .map((a) => a.peerId);
    if (left.length > 0) {
      throw new SecAggError(
        'SECAGG_ROSTER',
        `roster from ${from} leaves out ${left.join(', ')}, whose signed advert this peer held in time`,
      );
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

  /** True the first time `what` is reported this round (peers re-send: a refusal is counted once). */
  firstReport(what: string): boolean {
    if (this.reported.has(what)) return false;
    this.reported.add(what);
    return true;
  }

  /** True once this peer holds `quorum` consistency signatures of senders on the set it accepted. */
  consistent(quorum: number): boolean {
    return (
      this.unmask !== null && countConsistent(this.unmask, this.unmask.setHash, this.consistency) >= quorum
    );
  }

  /**
   * The roster this peer should publish now, or null: every advert it holds (a roster leaving one out is
   * refused by those that held it in time), once every live member advertised or set-up time is over, by
   * the first advertiser in the round's rendezvous order.
   */
  rosterToPublish(live: ReadonlySet<string>, setupOver: boolean, minRoster: number): SignedAdvert[] | null {
    if (this.roster !== null) return null;
    const ids = [...this.adverts.keys()];
    if (ids.length < minRoster) return null; // wait for more, until the round's deadline
    const all = [...live].every((p) => this.adverts.has(p));
    const first = aggregatorOrder(this.ctx.swarmId, this.ctx.round, ids)[0];
    if (!(all || setupOver) || first !== this.self) return null;
    return ids.map((p) => this.adverts.get(p)!).map(({ atMs: _, ...a }) => a);
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
      `${n} sites advertised keys for round ${ctx.round}, a secure round of this swarm needs ${p.minRoster} ` +
        '(the threshold and minPeers, from the member list): abandoned',
    );
  }
  const degree =
    p.graphDegree === 'all'
      ? n - 1
      : Math.min(n - 1, p.graphDegree === 'auto' ? chooseGraphDegree(n) : p.graphDegree);
  // Public and fixed by swarm and round, so no member picks its neighbours.
  const graphSeed = createHash('sha256').update(`swarmd-secagg-graph|${ctx.swarmId}|${ctx.round}`).digest();
  return createSecureRound(ctx, adverts, { threshold: p.threshold, degree, graphSeed });
}

/*
 * What a peer keeps per secure round: its state, the model layout it masked, and unmasked merges by commit
 * (every check of one commit unmasks once). Rounds older than the one just committed are forgotten; that one
 * stays one round longer, so a late revealed share is still checked and named.
 */
export class SecureRounds {
  private readonly states = new Map<number, SecureRoundState>();
  readonly layouts = new Map<number, TensorLayout[]>();
  private readonly merged = new Map<string, Recomputed>();

  constructor(
    private readonly swarmId: string,
    private readonly self: string,
  ) {}

  /** The state of `round` while it is current, just committed or next; else undefined. */
  get(round: number, current: number): SecureRoundState | undefined {
    if (round < current - 1 || round > current + 1) return undefined;
    for (const r of this.states.keys()) {
      if (r < current - 1) [this.states, this.layouts].forEach((m) => m.delete(r));
    }
    for (const key of this.merged.keys())
      if (Number(key.split('|')[0]) < current - 1) this.merged.delete(key);
    const st = this.states.get(round) ?? new SecureRoundState({ swarmId: this.swarmId, round }, this.self);
    this.states.set(round, st);
    return st;
  }

  /** The state of `round` if this peer has one, without creating it. */
  peek(round: number): SecureRoundState | undefined {
    return this.states.get(round);
  }

  /** A merge unmasked before for the same round and contributors, else `compute()` (kept when it worked). */
  mergeOnce(
    c: { round: number; contributors: readonly { peerId: string; updateHash: string; samples: number }[] },
    compute: () => Recomputed,
  ): Recomputed {
    const key = [c.round, ...c.contributors.map((x) => `${x.peerId}:${x.updateHash}:${x.samples}`)].join('|');
    const cached = this.merged.get(key);
    if (cached !== undefined) return cached;
    const r = compute();
    if (r.ok) this.merged.set(key, r);
    return r;
  }
}
