import { randomBytes } from 'node:crypto';
import { encodeTensors, type NamedTensors } from '../../core/index.js';
import {
  advertBytes,
  aggregatorOrder,
  createAdvert,
  dealShares,
  DEFAULT_FIXED_POINT,
  encodeMaskedPayload,
  encodeUpdate,
  flattenTensors,
  generateRoundKeys,
  maskUpdate,
  revealShares,
  SecAggError,
  type Contributor,
  type Recomputed,
  type SecAggMessageBody,
  type TensorLayout,
  type WireMessage,
} from '../protocol/index.js';
import type { Outgoing } from '../net/index.js';
import type { UpdateStore } from '../transfer/index.js';
import type { PeerBook } from './book.js';
import { recomputeSecure, screenPayload } from './secure-merge.js';
import { buildRound, SecureRoundState, type SecureParams } from './secure-state.js';
import type { PeerLog, SwarmPeerInit } from './types.js';

/*
 * The secure round (aggregation: secure), beside the plain path and driven by it at four points: training
 * starts (advertise keys), an update is ready (mask it), this peer aggregates (request the unmasking and wait
 * for the shares), a commit is checked (recompute the unmasked merge). Per round: signed adverts → the roster
 * (published by the first advertiser in the round's rendezvous order) → shares dealt, sealed pairwise →
 * masked vectors as ordinary chunked updates → the aggregator's unmask request → revealed shares → every peer
 * unmasks the same sum and checks the commit's merged hash. Round 0 (feature statistics) stays plain.
 */
export interface SecureRoundDeps {
  init: SwarmPeerInit & { secure: SecureParams };
  store: UpdateStore;
  book: PeerBook;
  log: PeerLog;
  now(): number;
  publish(m: Outgoing): Promise<boolean>;
  spawn(what: string, task: (signal: AbortSignal) => Promise<unknown>): void;
  /** The round this peer is in and the members it hears from. */
  currentRound(): number;
  live(): ReadonlySet<string>;
  /** Something a waiting commit may need arrived (revealed shares): check it again. */
  onProgress(): void;
}

const POLL_MS = 200;

/** The secure path when the swarm config asks for it (init.secure), else undefined. */
export function createSecureAggregation(
  d: Omit<SecureRoundDeps, 'init'> & { init: SwarmPeerInit },
): SecureAggregation | undefined {
  const { secure } = d.init;
  if (secure === undefined) return undefined;
  const params = { ...secure, minRoster: Math.max(3, d.init.minPeers) };
  return new SecureAggregation({ ...d, init: { ...d.init, secure: params } });
}

/** What this peer sends as its update: the masked vector in a secure round (null: it sits the round out). */
export async function contributionBytes(
  secure: SecureAggregation | undefined,
  round: number,
  result: { tensors: NamedTensors; samples: number },
  signal: AbortSignal,
): Promise<Uint8Array | null> {
  if (!secure?.covers(round)) return encodeTensors(result.tensors);
  try {
    return await secure.mask(round, result.tensors, result.samples, signal);
  } catch (err) {
    if (err instanceof SecAggError) return null; // the reason is in status already
    throw err;
  }
}

/** A masked vector the aggregator leaves out before unmasking (another roster, wrong length, malformed). */
type UnmaskSender = { peerId: string; maskedHash: string };

export interface SecureExclusion {
  peerId: string;
  reason: 'secagg';
  detail: string;
}

export class SecureAggregation {
  private readonly rounds = new Map<number, SecureRoundState>();
  private readonly layouts = new Map<number, TensorLayout[]>();
  private readonly waiters = new Set<() => void>();
  private readonly fixedPoint = DEFAULT_FIXED_POINT;
  /** round/peer of revealers already reported for a wrong share. */
  private readonly rejected = new Set<string>();
  /** Unmasked merges by round and contributors: every check of one commit unmasks once. */
  private readonly merged = new Map<string, Recomputed>();
  /** This module set the peer's stalled reason, so a new round clears it. */
  private abandoned = false;

  constructor(private readonly d: SecureRoundDeps) {}

  /** Secure rounds are the model rounds; round 0 merges feature statistics in the clear. */
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
    this.d.spawn(`fixing the secure roster (round ${round})`, (signal) =>
      this.publishRosterWhenReady(round, signal),
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
    const ready = await this.until(
      () =>
        st?.roster != null &&
        (!st.onRoster() || st.dealersOfMine().every((d) => st.held.has(d) || st.badDealers.has(d))),
      this.d.now() + this.d.init.roundDeadlineMs,
      signal,
    );
    if (st === undefined || !ready)
      throw this.abandon(round, 'SECAGG_ROSTER', 'no roster and shares arrived in time');
    if (!st.onRoster())
      throw this.abandon(round, 'SECAGG_ROSTER', 'this site is not on the roster (it advertised late)');
    const bad = [...st.badDealers].map(([id, why]) => `${id}: ${why}`);
    if (bad.length > 0) throw this.abandon(round, 'SECAGG_SHARE', `bad shares from ${bad.join('; ')}`);
    const { layout, values } = flattenTensors(tensors);
    this.layouts.set(round, layout);
    const masked = maskUpdate(
      st.roster!.round,
      this.d.init.self,
      st.keys!,
      encodeUpdate(values, samples, this.fixedPoint),
    );
    return encodeMaskedPayload(st.roster!.hash, layout, masked);
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
      senders = st.unmask.senders.map((x) => {
        const samples = this.d.store.get(x.maskedHash)?.manifest.samples ?? 1;
        return { peerId: x.peerId, updateHash: x.maskedHash, samples };
      });
    } else {
      senders = this.screen(st, round, counted, excluded);
      if (senders.length < st.roster.round.threshold) {
        const why = `${senders.length} masked vectors, fewer than the threshold ${st.roster.round.threshold}`;
        return { r: this.fail(round, why), contributors: senders, excluded };
      }
      const named = senders.map((x) => ({ peerId: x.peerId, maskedHash: x.updateHash }));
      await this.send(round, { step: 'unmask', senders: named });
    }
    const c = { round, method: 'fedavg', kind: 'model' as const, contributors: senders };
    let r: Recomputed = { ok: false, reason: 'missing-updates' };
    const turnEnd = this.d.now() + 0.8 * this.d.init.commitTimeoutMs;
    await this.until(() => (r = this.recompute(c)).ok || r.reason !== 'missing-updates', turnEnd, signal);
    if (!r.ok) this.fail(round, `cannot unmask the sum: ${r.detail ?? r.reason}`);
    return { r, contributors: senders, excluded };
  }

  /** Counted updates that are masked vectors of this round's roster and the model's layout. */
  private screen(
    st: SecureRoundState,
    round: number,
    counted: Contributor[],
    excluded: SecureExclusion[],
  ): Contributor[] {
    let layout = this.layouts.get(round) ?? null;
    return counted.filter((x) => {
      const p = screenPayload(this.d.store.get(x.updateHash)!.bytes, st.roster!.hash, layout);
      if (typeof p === 'string') excluded.push({ peerId: x.peerId, reason: 'secagg', detail: p });
      else layout ??= p.layout;
      return typeof p !== 'string';
    });
  }

  /** The merge a commit of a secure round names, from what this peer holds. */
  recompute(c: Parameters<typeof recomputeSecure>[2]): Recomputed {
    const key = [c.round, ...c.contributors.map((x) => `${x.peerId}:${x.updateHash}:${x.samples}`)].join('|');
    const cached = this.merged.get(key);
    if (cached !== undefined) return cached;
    const r = recomputeSecure(this.rounds.get(c.round), this.d.store, c, this.fixedPoint);
    if (r.ok) this.merged.set(key, r);
    for (const peer of r.rejectedRevealers ?? []) {
      if (this.rejected.has(`${c.round}/${peer}`)) continue;
      this.rejected.add(`${c.round}/${peer}`);
      this.d.book.drop('secagg-bad-reveal');
      this.d.log.warn({ round: c.round, peer }, 'a member revealed a share unlike its commitment: ignored');
    }
    return r;
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
        this.onUnmaskRequest(round, st, from, body.senders);
        break;
      case 'reveal':
        if (!st.reveals.has(from)) st.reveals.set(from, body.shares);
        break;
    }
    this.notify();
  }

  private dealOwn(round: number, st: SecureRoundState): void {
    if (st.keys === null || !st.onRoster()) return;
    const dealt = dealShares(
      st.roster!.round,
      this.d.init.self,
      st.keys,
      (n) => new Uint8Array(randomBytes(n)),
    );
    const shares = [...dealt.envelopes].map(([holder, envelope]) => ({
      holder,
      envelope,
      ...dealt.commitments.get(holder)!,
    }));
    this.d.spawn(`dealing shares (round ${round})`, () => this.send(round, { step: 'shares', shares }));
  }

  /**
   * The first valid request of the round fixes the sender set; this peer reveals once, for it only, so it
   * never reveals both shares of one dealer. A round that cannot be unmasked by the end of the turn is
   * reported in status here too, not only at the aggregator.
   */
  private onUnmaskRequest(round: number, st: SecureRoundState, from: string, senders: UnmaskSender[]): void {
    const roster = st.roster?.round;
    if (st.unmask !== null || roster === undefined) return;
    const ids = senders.map((x) => x.peerId);
    const onRoster = (id: string) => roster.roster.some((a) => a.peerId === id);
    if (!onRoster(from) || !ids.every(onRoster) || new Set(ids).size !== ids.length) {
      throw new SecAggError('SECAGG_ROSTER', `unmask request from ${from} names peers off the roster`);
    }
    if (ids.length < roster.threshold) {
      throw new SecAggError(
        'SECAGG_TOO_FEW',
        `unmask request for ${ids.length} senders, below the threshold`,
      );
    }
    st.unmask = { senders, from };
    if (st.onRoster()) {
      st.revealed = true;
      const shares = revealShares(roster, st.held, ids);
      this.d.spawn(`revealing shares (round ${round})`, () => this.send(round, { step: 'reveal', shares }));
    }
    this.d.spawn(`watching the unmasking (round ${round})`, async (signal) => {
      const contributors = senders.map((x) => ({
        ...{ peerId: x.peerId, updateHash: x.maskedHash },
        samples: this.d.store.get(x.maskedHash)?.manifest.samples ?? 1,
      }));
      const c = { round, method: 'fedavg', kind: 'model' as const, contributors };
      const turnEnd = this.d.now() + this.d.init.commitTimeoutMs;
      const done = () => this.d.currentRound() !== round || this.recompute(c).ok;
      if (!(await this.until(done, turnEnd, signal)) && !signal.aborted) {
        const { detail, reason } = this.recompute(c) as { detail?: string; reason: string };
        this.abandon(round, 'SECAGG_TOO_FEW', `the sum cannot be unmasked: ${detail ?? reason}`);
      }
    });
  }

  /** Publishes and handles its own message (gossip does not deliver it back). */
  private async send(round: number, body: SecAggMessageBody): Promise<void> {
    await this.handle(this.d.init.self, round, body);
    await this.d.publish({ type: 'secagg', round, body });
  }

  /** The first advertiser in the round's order publishes the roster once every live member advertised. */
  private async publishRosterWhenReady(round: number, signal: AbortSignal): Promise<void> {
    const st = this.state(round)!;
    const setupEnd = this.d.now() + this.d.init.roundDeadlineMs / 4;
    const self = this.d.init.self;
    let adverts: string[] = [];
    const leader = () => {
      const live = this.d.live();
      adverts = [...st.adverts.keys()].filter((p) => live.has(p));
      const all = [...live].every((p) => st.adverts.has(p));
      return (
        st.roster !== null ||
        ((all || this.d.now() >= setupEnd) &&
          aggregatorOrder(this.d.init.swarmId, round, adverts)[0] === self)
      );
    };
    if (!(await this.until(leader, this.d.now() + this.d.init.roundDeadlineMs, signal)) || st.roster !== null)
      return;
    const roster = adverts.map((p) => st.adverts.get(p)!);
    try {
      const threshold = buildRound(st.ctx, roster, this.d.init.secure).threshold;
      await this.send(round, { step: 'roster', adverts: roster, threshold });
    } catch (err) {
      if (!(err instanceof SecAggError)) throw err;
      this.abandon(round, err.code, err.message);
    }
  }

  private state(round: number): SecureRoundState | undefined {
    const current = this.d.currentRound();
    if (round < current || round > current + 1 || !this.covers(round)) return undefined;
    for (const r of this.rounds.keys()) {
      if (r < current) [this.rounds, this.layouts].forEach((m) => m.delete(r));
    }
    for (const key of this.merged.keys()) if (Number(key.split('|')[0]) < current) this.merged.delete(key);
    let st = this.rounds.get(round);
    if (st === undefined)
      this.rounds.set(
        round,
        (st = new SecureRoundState({ swarmId: this.d.init.swarmId, round }, this.d.init.self)),
      );
    return st;
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

  private notify(): void {
    for (const w of [...this.waiters]) w();
    this.d.onProgress();
  }

  /** Resolves true once `cond()` holds, false at `deadlineMs` or on abort; re-checked on every message. */
  private async until(cond: () => boolean, deadlineMs: number, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (cond()) return true;
      const left = deadlineMs - this.d.now();
      if (left <= 0 || signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, POLL_MS));
        this.waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
