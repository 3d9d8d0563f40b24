import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { NamedTensors } from '../../core/index.js';
import {
  advertBytes,
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
  SecAggError,
  type Contributor,
  type Recomputed,
  type SecAggMessageBody,
  type WireMessage,
} from '../protocol/index.js';
import { contributorsOf, heldContributors, recomputeSecure, screenSenders } from './secure-merge.js';
import { awaitDealers, publishRosterWhenReady } from './secure-setup.js';
import { Resender } from './secure-resend.js';
import { Progress } from './secure-wait.js';
import type { SecureRoundState } from './secure-state.js';
import { SecureRounds } from './secure-rounds.js';
import type { SecureExclusion, SecureRoundDeps, UnmaskSender } from './secure-deps.js';

/* The secure round's protocol steps; secure.ts says how it fits into a round. */
export class SecureAggregation {
  private readonly rounds: SecureRounds;
  private readonly progress: Progress;
  private readonly fixedPoint = DEFAULT_FIXED_POINT;
  /** round/peer of revealers already reported for a wrong share. */
  private readonly rejected = new Set<string>();
  private readonly resender = new Resender();
  /** This module set the peer's stalled reason, so a new round clears it. */
  private abandoned = false;

  constructor(private readonly d: SecureRoundDeps) {
    this.progress = new Progress(d.now);
    this.rounds = new SecureRounds(d.init.swarmId, d.init.self);
  }

  /** Model rounds; round 0 sums feature statistics in the clear (beyond the fixed-point range, README). */
  covers(round: number): boolean {
    return round > 0;
  }

  /** Training of `round` starts: in a secure round, advertise keys and help fix the roster. */
  startRound(round: number): void {
    if (this.covers(round))
      this.d.spawn(`advertising round keys (round ${round})`, () => this.advertise(round));
  }

  /** Publishes fresh ephemeral keys, signed with the identity key. */
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
    this.d.spawn(`re-sending (round ${round})`, (sig) =>
      this.resender.run(round, this.d, this.progress, sig),
    );
    this.d.spawn(`fixing the secure roster (round ${round})`, (signal) =>
      publishRosterWhenReady(
        { st, d: this.d, progress: this.progress, abandon: (code, why) => this.abandon(round, code, why) },
        (body) => this.send(round, body),
        signal,
      ),
    );
  }

  /** The masked vector to send as this peer's update; SecAggError when it cannot take part this round. */
  async mask(
    round: number,
    tensors: NamedTensors,
    samples: number,
    signal: AbortSignal,
  ): Promise<Uint8Array> {
    const st = this.state(round);
    const ready = await this.progress.until(
      () => st?.roster != null,
      this.d.now() + this.d.init.roundDeadlineMs,
      signal,
    );
    if (st === undefined || !ready) throw this.abandon(round, 'SECAGG_ROSTER', 'no roster arrived in time');
    if (!st.onRoster())
      throw this.abandon(round, 'SECAGG_ROSTER', 'this site is not on the roster (it advertised late)');
    await awaitDealers(this.d, st, this.progress, signal);
    const bad = [...st.badDealers].map(([id, why]) => `${id}: ${why}`);
    if (bad.length > 0) throw this.abandon(round, 'SECAGG_SHARE', `bad shares from ${bad.join('; ')}`);
    const started = performance.now();
    const { layout, values } = flattenTensors(tensors);
    this.rounds.layouts.set(round, layout);
    const encoded = encodeUpdate(values, samples, this.fixedPoint);
    const masked = maskUpdate(st.roster!.round, this.d.init.self, st.keys!, encoded);
    const bytes = encodeMaskedPayload(st.roster!.hash, layout, masked, residueBytes(this.fixedPoint));
    this.d.log.debug({ round, maskMs: performance.now() - started }, "masked this peer's update");
    return bytes;
  }

  /**
   * This peer's aggregator turn: fix the sender set (masked vectors of the roster's shape only), ask every
   * survivor for its shares, and wait until the sum unmasks or the turn runs out.
   */
  async aggregate(
    round: number,
    counted: Contributor[],
    signal: AbortSignal,
  ): Promise<{ r: Recomputed; contributors: Contributor[]; excluded: SecureExclusion[] }> {
    const st = this.state(round);
    if (st?.roster == null) {
      return { r: this.fail(round, 'no roster was fixed'), contributors: counted, excluded: [] };
    }
    const excluded: SecureExclusion[] = [];
    let senders: Contributor[];
    if (st.unmask !== null) {
      // Another aggregator asked already: survivors reveal once, for that sender set only.
      senders = contributorsOf(this.d.store, st.unmask.senders);
    } else {
      // Every masked vector held, late ones too: two aggregators that closed at different times then still
      // name the same senders, and survivors (who reveal for one sender set only) can serve both.
      const held = heldContributors(this.d.store, round, this.d.init.self, counted, st.roster.round);
      const layout = this.rounds.layouts.get(round) ?? null;
      const dealt = (x: Contributor) => st.commitments.has(x.peerId);
      for (const x of held.filter((h) => !dealt(h)))
        excluded.push({ peerId: x.peerId, reason: 'secagg', detail: 'dealt no shares: cannot be unmasked' });
      senders = screenSenders(
        this.d.store,
        st.roster.hash,
        layout,
        held.filter(dealt),
        excluded,
        this.fixedPoint,
      );
      if (senders.length < st.roster.round.threshold) {
        const why = `${senders.length} masked vectors, fewer than the threshold ${st.roster.round.threshold}`;
        return { r: this.fail(round, why), contributors: senders, excluded };
      }
      const named = senders.map((x) => ({ peerId: x.peerId, maskedHash: x.updateHash }));
      const silent = st.roster.round.roster.map((a) => a.peerId).filter((id) => !st.commitments.has(id));
      await this.send(round, { step: 'unmask', senders: named, ...(silent.length > 0 ? { silent } : {}) });
    }
    const c = { round, method: 'fedavg', kind: 'model' as const, contributors: senders };
    let r: Recomputed = { ok: false, reason: 'missing-updates' };
    const turnEnd = this.d.now() + 0.8 * this.d.init.commitTimeoutMs;
    await this.progress.until(
      () => (r = this.recompute(c)).ok || r.reason !== 'missing-updates',
      turnEnd,
      signal,
    );
    if (!r.ok) this.fail(round, `cannot unmask the sum: ${r.detail ?? r.reason}`);
    return { r, contributors: senders, excluded };
  }

  /** The merge a commit of a secure round names, from what this peer holds. */
  recompute(c: Parameters<typeof recomputeSecure>[2]): Recomputed {
    return this.rounds.mergeOnce(c, () => {
      const started = performance.now();
      const r = recomputeSecure(this.rounds.peek(c.round), this.d.store, c, this.fixedPoint);
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

  onMessage(msg: Extract<WireMessage, { type: 'secagg' }>): void {
    void this.handle(msg.from, msg.round, msg.body).catch((err: unknown) => {
      this.d.book.drop('secagg-invalid');
      this.d.log.warn(
        { round: msg.round, peer: msg.from, step: msg.body.step, err },
        'refused a secure-round message',
      );
    });
  }

  private async handle(from: string, round: number, body: SecAggMessageBody): Promise<void> {
    const st = this.state(round);
    this.d.log.debug({ round, peer: from, step: body.step, held: st !== undefined }, 'secure-round message');
    if (st === undefined) return;
    const { verify } = this.d.init;
    switch (body.step) {
      case 'advert':
        await st.addAdvert(from, body, verify);
        break;
      case 'roster':
        if (await st.setRoster(from, body, this.d.init.secure, verify)) this.dealOwn(round, st);
        break;
      case 'shares':
        st.addShares(from, body);
        break;
      case 'unmask':
        this.onUnmaskRequest(round, st, from, body.senders, body.silent);
        break;
      case 'reveal':
        if (!st.reveals.has(from)) {
          st.reveals.set(from, body.shares);
          st.pairSeeds.set(from, new Map((body.pairSeeds ?? []).map((p) => [p.peer, p.seed])));
        }
        if (st.badReveal(from)) this.reportBadReveal(round, from);
        break;
    }
    this.progress.notify();
    this.d.onProgress();
  }

  private dealOwn(round: number, st: SecureRoundState): void {
    const shares = st.dealOwn((n) => new Uint8Array(randomBytes(n)));
    if (shares)
      this.d.spawn(`dealing shares (round ${round})`, () => this.send(round, { step: 'shares', shares }));
  }

  /**
   * The first valid request of the round fixes the sender set; this peer reveals once, for it only, so it
   * never reveals both shares of one dealer. A round that cannot be unmasked by the end of the turn is
   * reported in status here too, not only at the aggregator.
   */
  private onUnmaskRequest(
    round: number,
    st: SecureRoundState,
    from: string,
    senders: UnmaskSender[],
    silent: string[] = [],
  ): void {
    const roster = st.roster?.round;
    if (st.unmask !== null || roster === undefined) return;
    st.acceptUnmask(from, senders, silent);
    const ids = senders.map((x) => x.peerId);
    if (st.onRoster()) {
      st.revealed = true;
      const shares = revealShares(roster, st.held, ids);
      const sending = ids.includes(this.d.init.self) && st.keys !== null;
      const pairSeeds = sending ? revealPairSeeds(roster, this.d.init.self, st.keys!, silent) : [];
      const body = { step: 'reveal' as const, shares, ...(pairSeeds.length > 0 ? { pairSeeds } : {}) };
      this.d.spawn(`revealing shares (round ${round})`, () => this.send(round, body));
    }
    this.d.spawn(`watching the unmasking (round ${round})`, async (signal) => {
      const c = {
        round,
        method: 'fedavg',
        kind: 'model' as const,
        contributors: contributorsOf(this.d.store, senders),
      };
      const turnEnd = this.d.now() + this.d.init.commitTimeoutMs;
      const done = () => this.d.currentRound() !== round || this.recompute(c).ok;
      if (!(await this.progress.until(done, turnEnd, signal)) && !signal.aborted) {
        const { detail, reason } = this.recompute(c) as { detail?: string; reason: string };
        this.abandon(round, 'SECAGG_TOO_FEW', `the sum cannot be unmasked: ${detail ?? reason}`);
      }
    });
  }

  /** Publishes and handles its own message (gossip does not deliver it back). */
  private async send(round: number, body: SecAggMessageBody): Promise<void> {
    await this.handle(this.d.init.self, round, body);
    this.resender.record(round, body);
    await this.d.publish({ type: 'secagg', round, body });
  }

  private state(round: number): SecureRoundState | undefined {
    return this.covers(round) ? this.rounds.get(round, this.d.currentRound()) : undefined;
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
