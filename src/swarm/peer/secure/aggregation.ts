import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { NamedTensors } from '../../../core/index.js';
import type { Outgoing } from '../../net/index.js';
import {
  advertBytes,
  checkUnmaskRequest,
  clipUpdate,
  consistencyBytes,
  consistencyQuorum,
  createAdvert,
  DEFAULT_FIXED_POINT,
  encodeMaskedPayload,
  encodeUpdate,
  flattenTensors,
  generateRoundKeys,
  maskUpdate,
  residueBytes,
  revealPairSeeds,
  revealShares,
  roundKind,
  SecAggError,
  senderSetHash,
  statisticsFixedPoint,
  sha256Hex,
  unmaskRequestBytes,
  type Contributor,
  type FixedPointParams,
  type MergePolicy,
  type Offence,
  type Recomputed,
  type RoundCommit,
  type SecAggMessageBody,
  type TurnCheck,
  type WireMessage,
} from '../../protocol/index.js';
import type { UpdateStore } from '../../transfer/index.js';
import type { Aggregation, AggregateResult } from '../aggregation.js';
import type { PeerBook } from '../book.js';
import type { PeerConduct } from '../conduct.js';
import type { PeerLog, SwarmPeerInit } from '../types.js';
import { contributorsOf, heldContributors, recomputeSecure, screenSenders, SECURE_MERGE } from './merge.js';
import { Progress } from './progress.js';
import { Resender } from './resend.js';
import { buildRound, SecureRounds, type SecureParams, type SecureRoundState } from './state.js';

/** What the secure round needs from the peer around it. */
export interface SecureRoundDeps {
  init: SwarmPeerInit & { secure: SecureParams };
  store: UpdateStore;
  book: PeerBook;
  conduct: PeerConduct;
  log: PeerLog;
  now(): number;
  publish(m: Outgoing): Promise<boolean>;
  spawn(what: string, task: (signal: AbortSignal) => Promise<unknown>): void;
  /** The round this peer is in and the members it hears from. */
  currentRound(): number;
  live(): ReadonlySet<string>;
  /** Whether `peerId` may act as the current round's aggregator now (the commit turn rules). */
  turn(peerId: string): TurnCheck;
  /** Sample counts fixed by round 0, by member. */
  fixedSamples(): ReadonlyMap<string, number> | undefined;
  /** The round's start weights (the last merged model; null in round 1: each site starts from its own). */
  base(): NamedTensors | null;
  /** Something a waiting commit may need arrived (revealed shares): check it again. */
  onProgress(): void;
}

type Step<S extends SecAggMessageBody['step']> = Extract<SecAggMessageBody, { step: S }>;

/**
 * The secure round's protocol steps (see index.ts for how they fit a round), for every round: round 0 sums
 * feature statistics with weight 1 in its own fixed-point range, model rounds the sample-weighted updates.
 */
export class SecureAggregation implements Aggregation {
  private readonly rounds: SecureRounds;
  private readonly progress: Progress;
  private readonly statsFixedPoint: FixedPointParams;
  /** round/peer of revealers already reported for a wrong share. */
  private readonly rejected = new Set<string>();
  private readonly resender = new Resender();
  /** This module set the peer's stalled reason, so a new round clears it. */
  private abandoned = false;

  constructor(private readonly d: SecureRoundDeps) {
    this.statsFixedPoint = statisticsFixedPoint(d.init.members.length);
    this.progress = new Progress(d.now);
    this.rounds = new SecureRounds(d.init.swarmId, d.init.self);
  }

  /** Training of `round` starts: advertise keys and help fix the roster. */
  startRound(round: number): void {
    this.d.spawn(`advertising round keys (round ${round})`, () => this.advertise(round));
  }

  /** The masked vector to send (null: this peer cannot take part this round; status says why). */
  async contribute(
    round: number,
    result: { tensors: NamedTensors; samples: number },
    signal: AbortSignal,
  ): Promise<Uint8Array | null> {
    try {
      const tensors = round === 0 ? result.tensors : this.clipped(result.tensors);
      return await this.mask(round, tensors, round === 0 ? 1 : result.samples, signal);
    } catch (err) {
      if (err instanceof SecAggError) return null; // the reason is in status already
      throw err;
    }
  }

  /**
   * This peer's aggregator turn: fix the sender set (masked vectors of the roster's shape, sample counts
   * within round 0's), sign and publish it, and wait until the sum unmasks or the turn runs out.
   */
  async aggregate(
    c: Parameters<Aggregation['aggregate']>[0],
    _policy: MergePolicy, // the merge rule and bounds need plaintext updates: secure rounds use FedAvg
    signal: AbortSignal,
  ): Promise<AggregateResult> {
    const { round } = c;
    const st = this.state(round);
    if (st?.roster == null)
      return { r: this.fail(round, 'no roster was fixed'), contributors: [], excluded: [] };
    let senders: Contributor[];
    if (st.unmask !== null) {
      // Another aggregator asked already: survivors reveal once, for that sender set only.
      senders = contributorsOf(this.d.store, st.unmask.senders);
    } else {
      // Every masked vector held, late ones too: two aggregators that closed at different times then still
      // name the same senders, and senders refuse a set that calls dropped a vector they hold.
      const screened = this.screen(round, st, c.contributors);
      senders = screened.senders;
      const { minSenders } = this.d.init.secure;
      if (senders.length < minSenders) {
        const why = `${senders.length} masked vectors, fewer than ${minSenders} (threshold and minPeers)`;
        return { r: this.fail(round, why), contributors: senders, excluded: [] };
      }
      const set = {
        senders: senders.map((x) => ({ peerId: x.peerId, maskedHash: x.updateHash })),
        silent: st.roster.round.roster.map((a) => a.peerId).filter((id) => !st.commitments.has(id)),
      };
      const setHash = senderSetHash(st.ctx, st.roster.hash, set);
      const signature = await this.d.init.sign(unmaskRequestBytes(st.ctx, setHash));
      const silent = set.silent.length > 0 ? { silent: set.silent } : {};
      await this.send(round, { step: 'unmask', senders: set.senders, ...silent, signature });
    }
    const commit = { round, method: c.method, kind: c.kind, contributors: senders };
    let r: Recomputed = { ok: false, reason: 'missing-updates' };
    const turnEnd = this.d.now() + 0.8 * this.d.init.commitTimeoutMs;
    const done = () => (r = this.recomputeSum(commit)).ok || r.reason !== 'missing-updates';
    await this.progress.until(done, turnEnd, signal);
    if (!r.ok) this.fail(round, `cannot unmask the sum: ${r.detail ?? r.reason}`);
    return { r, contributors: senders, excluded: [] };
  }

  /** The merge a commit names, from what this peer holds (unmasked with the revealed shares). */
  recompute(c: RoundCommit): Recomputed {
    return this.recomputeSum(c);
  }

  onMessage(msg: WireMessage): void {
    if (msg.type !== 'secagg') return;
    void this.handle(msg.from, msg.round, msg.body).catch((err: unknown) => {
      this.d.book.drop('secagg-invalid');
      this.d.log.warn(
        { round: msg.round, peer: msg.from, step: msg.body.step, err },
        'refused a secure-round message',
      );
    });
  }

  /** Publishes fresh ephemeral keys, signed with the identity key, then helps fix the roster. */
  private async advertise(round: number): Promise<void> {
    const st = this.state(round);
    if (st === undefined || st.keys !== null) return;
    if (this.abandoned) this.d.book.setStalled(null);
    this.abandoned = false;
    const self = this.d.init.self;
    st.keys = generateRoundKeys((n) => new Uint8Array(randomBytes(n)));
    const advert = createAdvert(st.ctx, self, st.keys);
    const signature = await this.d.init.sign(advertBytes(st.ctx, advert));
    const { maskPublicKey, channelPublicKey, selfSeedCommitment } = advert;
    await this.send(round, {
      step: 'advert',
      maskPublicKey,
      channelPublicKey,
      selfSeedCommitment,
      signature,
    });
    const resend = {
      ...{ everyMs: Math.max(1000, this.d.init.roundDeadlineMs / 20), now: this.d.now },
      currentRound: this.d.currentRound,
      publish: (body: SecAggMessageBody) => this.d.publish({ type: 'secagg', round, body }),
    };
    this.d.spawn(`re-sending (round ${round})`, (sig) =>
      this.resender.run(round, resend, this.progress, sig),
    );
    this.d.spawn(`fixing the secure roster (round ${round})`, (sig) => this.publishRosterWhenReady(st, sig));
  }

  /** The first advertiser in the round's order publishes the roster once every live member advertised. */
  private async publishRosterWhenReady(st: SecureRoundState, signal: AbortSignal): Promise<void> {
    const { d } = this;
    const setupEnd = d.now() + d.init.roundDeadlineMs / 2;
    let roster: ReturnType<SecureRoundState['rosterToPublish']> = null;
    const ready = () => {
      roster = st.rosterToPublish(d.live(), d.now() >= setupEnd, d.init.secure.minRoster);
      return st.roster !== null || roster !== null;
    };
    const deadline = d.now() + d.init.roundDeadlineMs;
    if (!(await this.progress.until(ready, deadline, signal)) || roster === null || st.roster !== null)
      return;
    try {
      const adverts = roster as NonNullable<typeof roster>;
      const threshold = buildRound(st.ctx, adverts, d.init.secure).threshold;
      await this.send(st.ctx.round, { step: 'roster', adverts, threshold });
    } catch (err) {
      if (!(err instanceof SecAggError)) throw err;
      this.abandon(st.ctx.round, err.code, err.message);
    }
  }

  /**
   * maxUpdateNorm in a secure swarm: this site scales its own update down to it before masking, since nobody
   * can check a masked vector. It bounds honest sites only; a lying one can skip it (no zero-knowledge proof).
   */
  private clipped(tensors: NamedTensors): NamedTensors {
    const bound = this.d.init.mergeOptions?.maxUpdateNorm;
    const base = this.d.base();
    if (bound === undefined || base === null) return tensors;
    const { tensors: out, updateNorm, clipFactor } = clipUpdate(base, tensors, bound);
    if (clipFactor < 1)
      this.d.log.info({ updateNorm, maxUpdateNorm: bound }, "clipped this site's update before masking");
    return out;
  }

  private async mask(round: number, tensors: NamedTensors, samples: number, signal: AbortSignal) {
    const st = this.state(round);
    const ready = await this.progress.until(
      () => st?.roster != null,
      this.d.now() + this.d.init.roundDeadlineMs,
      signal,
    );
    if (st === undefined || !ready) throw this.abandon(round, 'SECAGG_ROSTER', 'no roster arrived in time');
    if (!st.onRoster())
      throw this.abandon(round, 'SECAGG_ROSTER', 'this site is not on the roster (it advertised late)');
    await this.awaitDealers(st, signal);
    const bad = [...st.badDealers].map(([id, why]) => `${id}: ${why}`);
    if (bad.length > 0) throw this.abandon(round, 'SECAGG_SHARE', `bad shares from ${bad.join('; ')}`);
    const started = performance.now();
    const { layout, values } = flattenTensors(tensors);
    this.rounds.layouts.set(round, layout);
    const fixedPoint = this.fixedPoint(round);
    let encoded: Float64Array;
    try {
      encoded = encodeUpdate(values, samples, fixedPoint);
    } catch (err) {
      if (!(err instanceof SecAggError)) throw err;
      const hint = round === 0 ? ' (log-transform count-like features: round 0 sums their squares)' : '';
      throw this.abandon(
        round,
        err.code,
        `this site's ${round === 0 ? 'statistics' : 'update'}: ${err.message}${hint}`,
      );
    }
    const masked = maskUpdate(st.roster!.round, this.d.init.self, st.keys!, encoded);
    const bytes = encodeMaskedPayload(st.roster!.hash, layout, masked, residueBytes(fixedPoint));
    st.own = { peerId: this.d.init.self, updateHash: sha256Hex(bytes), samples };
    this.d.log.debug({ round, maskMs: performance.now() - started }, "masked this peer's update");
    return bytes;
  }

  /**
   * Waits (bounded, roundDeadlineMs / 4) until every dealer this peer holds shares of has dealt; a dealer
   * still silent then is dropped from the round: this peer masks anyway, and the aggregator names it `silent`
   * so the senders reveal their pairwise seeds with it (its key was never shared).
   */
  private async awaitDealers(st: SecureRoundState, signal: AbortSignal): Promise<void> {
    const waitMs = this.d.init.roundDeadlineMs / 4;
    const waiting = () => st.dealersOfMine().filter((p) => !st.held.has(p) && !st.badDealers.has(p));
    await this.progress.until(() => waiting().length === 0, this.d.now() + waitMs, signal);
    if (signal.aborted)
      throw new SecAggError('SECAGG_ABORTED', 'the round moved on while waiting for shares');
    const silent = waiting();
    if (silent.length > 0) {
      silent.forEach(() => this.d.book.drop('secagg-silent-dealer'));
      const reason = `dealt no shares within ${waitMs} ms: dropped from the round`;
      this.d.log.warn(
        { round: st.ctx.round, silent, reason },
        'masking without members that dealt no shares',
      );
    }
  }

  /** The masked vectors of `round` this peer holds that may take part; the rest are counted and scored. */
  private screen(round: number, st: SecureRoundState, counted: readonly Contributor[]) {
    const held = heldContributors(this.d.store, round, this.d.init.self, counted, st.roster!.round);
    const layout = this.rounds.layouts.get(round) ?? null;
    const fixed = this.d.fixedSamples();
    const screened = screenSenders(this.d.store, st, layout, held, fixed, this.fixedPoint(round));
    for (const x of screened.excluded) {
      if (!st.firstReport(`excluded/${x.peerId}/${x.updateHash}`)) continue; // screened again on every request
      this.d.book.drop(`excluded-${x.reason}`);
      if (x.reason === 'samples-inflated') {
        this.d.conduct.offence(x.peerId, 'invalid-update', x.updateHash, `${x.reason}: ${x.detail}`);
      }
    }
    return screened;
  }

  private recomputeSum(c: {
    round: number;
    method: string;
    kind: 'stats' | 'model';
    contributors: readonly Contributor[];
  }): Recomputed {
    return this.rounds.mergeOnce(c, () => {
      const started = performance.now();
      const st = this.rounds.peek(c.round);
      const r = recomputeSecure(st, this.d.store, c, this.fixedPoint(c.round), this.d.fixedSamples());
      if (r.ok)
        this.d.log.debug({ round: c.round, unmaskMs: performance.now() - started }, 'unmasked the sum');
      for (const peer of r.rejectedRevealers ?? []) this.reportBadReveal(c.round, peer);
      return r;
    });
  }

  private reportBadReveal(round: number, peer: string): void {
    if (this.rejected.has(`${round}/${peer}`)) return;
    this.rejected.add(`${round}/${peer}`);
    this.d.book.drop('secagg-bad-reveal');
    this.d.log.warn({ round, peer }, 'a member revealed a share unlike its commitment: ignored');
  }

  private async handle(from: string, round: number, body: SecAggMessageBody): Promise<void> {
    const st = this.state(round);
    this.d.log.debug({ round, peer: from, step: body.step, held: st !== undefined }, 'secure-round message');
    if (st === undefined) return;
    const { verify } = this.d.init;
    switch (body.step) {
      case 'advert':
        await st.addAdvert(from, body, verify, this.d.now());
        break;
      case 'roster':
        await this.onRoster(st, from, body);
        break;
      case 'shares':
        st.addShares(from, body);
        break;
      case 'unmask':
        await this.onUnmaskRequest(st, from, body);
        break;
      case 'consistency':
        await this.onConsistency(st, from, body);
        break;
      case 'reveal':
        if (!st.reveals.has(from)) {
          st.reveals.set(from, body.shares);
          st.pairSeeds.set(from, new Map((body.pairSeeds ?? []).map((p) => [p.peer, p.seed])));
        }
        if (st.badReveal(from)) this.reportBadReveal(round, from);
        break;
    }
    this.maybeReveal(st);
    this.progress.notify();
    this.d.onProgress();
  }

  private async onRoster(st: SecureRoundState, from: string, body: Step<'roster'>): Promise<void> {
    try {
      const { secure, verify } = this.d.init;
      if (!(await st.setRoster(from, body, secure, verify, this.d.now()))) return;
    } catch (err) {
      if (err instanceof SecAggError) this.refuse(st.ctx.round, from, 'secagg-roster', 'roster', err.message);
      throw err;
    }
    const shares = st.dealOwn((n) => new Uint8Array(randomBytes(n)));
    if (shares) {
      this.d.spawn(`dealing shares (round ${st.ctx.round})`, () =>
        this.send(st.ctx.round, { step: 'shares', shares }),
      );
    }
  }

  /**
   * An unmask request: accepted once, from the aggregator in turn, signed by it, for a set checkUnmaskRequest
   * lets through. A sender then signs the set (the consistency round); it reveals later, in maybeReveal.
   */
  private async onUnmaskRequest(st: SecureRoundState, from: string, body: Step<'unmask'>): Promise<void> {
    const round = st.ctx.round;
    if (st.roster === null) return;
    const set = { senders: body.senders, silent: body.silent ?? [] };
    const setHash = senderSetHash(st.ctx, st.roster.hash, set);
    if (st.unmask?.from === from && st.unmask.setHash === setHash) return; // a re-send
    if (!(await this.d.init.verify(from, unmaskRequestBytes(st.ctx, setHash), body.signature))) {
      return this.refuse(
        round,
        from,
        'secagg-unmask-refused',
        'unmask-request',
        'the unmask request is not signed by its sender',
      );
    }
    if (st.unmask?.from === from && st.unmask.setHash !== setHash) {
      st.poisoned = `aggregator ${from} signed two sender sets`; // both signatures are the proof
      return this.refuse(round, from, 'secagg-equivocation', 'equivocation', st.poisoned);
    }
    const turn = from === this.d.init.self ? ({ ok: true } as const) : this.d.turn(from);
    if (!turn.ok) return this.refuse(round, from, 'secagg-unmask-refused', 'out-of-turn', turn.detail);
    if (st.unmask !== null && st.unmask.setHash === setHash) return; // a step-in aggregator, same set
    const own = st.own === null ? [] : [st.own];
    const heldValid = new Set(this.screen(round, st, own).senders.map((x) => x.peerId));
    const signed = st.unmask?.setHash ?? null;
    const { minSenders } = this.d.init.secure;
    const verdict = checkUnmaskRequest(st.roster.round, st.roster.hash, set, {
      minSenders,
      heldValid,
      signed,
    });
    if (!verdict.ok)
      return this.refuse(round, from, 'secagg-unmask-refused', 'unmask-request', verdict.detail);
    st.unmask = {
      ...set,
      senders: [...set.senders],
      silent: [...set.silent],
      from,
      setHash,
      signature: body.signature,
    };
    const self = this.d.init.self;
    if (st.onRoster() && set.senders.some((x) => x.peerId === self)) {
      const signature = await this.d.init.sign(consistencyBytes(st.ctx, setHash));
      const consistency = { setHash, aggregator: from, requestSignature: body.signature, signature };
      this.d.spawn(`signing the sender set (round ${round})`, () =>
        this.send(round, { step: 'consistency', ...consistency }),
      );
    }
    this.watchUnmasking(st);
  }

  /**
   * A sender's consistency signature. One on another set by the aggregator this peer followed is proof of
   * equivocation (both sets carry its signature): this peer then reveals nothing this round.
   */
  private async onConsistency(st: SecureRoundState, from: string, body: Step<'consistency'>): Promise<void> {
    if (st.consistency.has(from)) return;
    const { verify } = this.d.init;
    const [own, request] = await Promise.all([
      verify(from, consistencyBytes(st.ctx, body.setHash), body.signature),
      verify(body.aggregator, unmaskRequestBytes(st.ctx, body.setHash), body.requestSignature),
    ]);
    if (!own || !request)
      throw new SecAggError('SECAGG_CONSISTENCY', `consistency signature from ${from} is forged`);
    st.consistency.set(from, body.setHash);
    const mine = st.unmask;
    if (
      mine !== null &&
      mine.from === body.aggregator &&
      mine.setHash !== body.setHash &&
      st.poisoned === null
    ) {
      st.poisoned = `aggregator ${body.aggregator} signed two sender sets`;
      this.refuse(st.ctx.round, body.aggregator, 'secagg-equivocation', 'equivocation', st.poisoned);
    }
  }

  /** Reveals once: for the accepted set, once a quorum of its senders signed that same set. */
  private maybeReveal(st: SecureRoundState): void {
    const set = st.unmask;
    if (set === null || st.revealed || st.poisoned !== null || !st.onRoster()) return;
    const self = this.d.init.self;
    if (!set.senders.some((x) => x.peerId === self)) return;
    const roster = st.roster!.round;
    if (!st.consistent(consistencyQuorum(roster, this.d.init.secure.maxColluders))) return;
    st.revealed = true;
    const ids = set.senders.map((x) => x.peerId);
    const shares = revealShares(roster, st.held, ids);
    const pairSeeds = st.keys === null ? [] : revealPairSeeds(roster, self, st.keys, set.silent);
    const body = { step: 'reveal' as const, shares, ...(pairSeeds.length > 0 ? { pairSeeds } : {}) };
    this.d.spawn(`revealing shares (round ${st.ctx.round})`, () => this.send(st.ctx.round, body));
  }

  /** A round that cannot be unmasked by the end of the turn is reported in status, not only at the aggregator. */
  private watchUnmasking(st: SecureRoundState): void {
    const round = st.ctx.round;
    this.d.spawn(`watching the unmasking (round ${round})`, async (signal) => {
      const contributors = contributorsOf(this.d.store, st.unmask!.senders);
      const c = { round, ...roundKind(round, SECURE_MERGE), contributors };
      const turnEnd = this.d.now() + this.d.init.commitTimeoutMs;
      const done = () => this.d.currentRound() !== round || this.recomputeSum(c).ok;
      if (!(await this.progress.until(done, turnEnd, signal)) && !signal.aborted) {
        const { detail, reason } = this.recomputeSum(c) as { detail?: string; reason: string };
        this.abandon(round, 'SECAGG_TOO_FEW', `the sum cannot be unmasked: ${detail ?? reason}`);
      }
    });
  }

  /** A refused roster or unmask request: nothing revealed, the sender named in status and scored (once: resends). */
  private refuse(round: number, peer: string, drop: string, offence: Offence, detail: string): void {
    if (this.state(round)?.firstReport(`${drop}/${peer}/${offence}`) === false) return;
    this.d.book.drop(drop);
    this.d.conduct.offence(peer, offence, `secagg/${round}/${drop}/${peer}`, detail);
    this.d.log.warn({ round, peer, reason: detail }, `refused a secure-round message (${drop})`);
  }

  /** Publishes and handles its own message (gossip does not deliver it back). */
  private async send(round: number, body: SecAggMessageBody): Promise<void> {
    await this.handle(this.d.init.self, round, body);
    this.resender.record(round, body);
    await this.d.publish({ type: 'secagg', round, body });
  }

  private state(round: number): SecureRoundState | undefined {
    return this.rounds.get(round, this.d.currentRound());
  }

  /** Round 0 sums statistics in their own range; model rounds take the sample-weighted mean of weights. */
  private fixedPoint(round: number): FixedPointParams {
    return round === 0 ? this.statsFixedPoint : DEFAULT_FIXED_POINT;
  }

  /** Says in status why the round cannot finish securely; returns the error to throw. */
  private abandon(round: number, code: string, why: string): SecAggError {
    const reason = `secure round ${round} abandoned: ${why}`;
    this.abandoned = true;
    this.d.book.setStalled({ sinceMs: this.d.now(), reason });
    this.d.log.warn({ round, reason }, 'secure round cannot go on');
    return new SecAggError(code, reason);
  }

  private fail(round: number, why: string): Recomputed {
    const e = this.abandon(round, 'SECAGG_TOO_FEW', why);
    return { ok: false, reason: 'merge-failed', detail: e.message };
  }
}
