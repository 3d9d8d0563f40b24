import type { NamedTensors } from '../../core/index.js';
import {
  commitHash,
  counted,
  createCommit,
  type Effect,
  initialRoundState,
  namedUpdates,
  type RoundEvent,
  roundKind,
  type RoundState,
  signCommit,
  type MergePolicy,
  type Recomputed,
  type RoundCommit,
  type SignedCommit,
  screenCommit,
  step,
  verifyCommitSignature,
} from '../protocol/index.js';
import { untilAborted } from './background.js';
import { CommitFetches } from './commit-fetch.js';
import { publishUpdate } from './contribute.js';
import { noteDrop, noteRejected, noteStalled } from './notes.js';
import type { PeerRoundsDeps } from './rounds-deps.js';

/*
 * Drives the pure round state machine: feeds it events one at a time (a queue, so an effect that raises an
 * event does not re-enter step), and performs its effects — train, publish, merge and commit, fetch the
 * updates a commit needs, apply. Work that outlives its round (slow training, a late signature) is
 * discarded when it finishes in a round that has moved on.
 */

export type { PeerRoundsDeps };

export class PeerRounds {
  state: RoundState;
  localSamples = 0;
  private readonly queue: RoundEvent[] = [];
  private draining = false;
  private stopped = false;
  private training: { round: number; controller: AbortController } | null = null;
  /** Commits being verified now (hash → round). */
  private readonly checking = new Set<string>();
  private readonly fetches: CommitFetches;
  private readonly mergedByCommit = new Map<string, NamedTensors>();

  constructor(private readonly d: PeerRoundsDeps) {
    const { init } = d;
    const last = d.commits.applied();
    this.fetches = new CommitFetches({
      ...{ fetchUpdate: d.fetchUpdate, conduct: d.conduct, log: d.log },
      ...{ pending: () => this.state.pending?.signed, round: () => this.state.round },
      recheck: () => this.recheckPending(),
    });
    this.state = initialRoundState({ ...init, merge: init.merge ?? 'fedavg' }, last);
  }

  dispatch(event: RoundEvent): void {
    if (this.stopped) return;
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) {
        if (this.d.commits.finished && e.type !== 'commit-applied') continue; // serving only
        const wasStalled = this.state.phase === 'stalled';
        const r = step(this.state, e, this.d.now());
        this.state = r.state;
        if (wasStalled && this.state.phase !== 'stalled') this.d.book.setStalled(null);
        this.d.book.quorum(this.state);
        r.effects.forEach((effect) => this.perform(effect));
      }
    } finally {
      this.draining = false;
    }
  }

  start(): void {
    this.stopped = false;
  }

  stop(): void {
    this.stopped = true;
    this.training?.controller.abort(new Error('swarm peer stopped'));
    this.training = null;
    this.queue.length = 0;
  }

  /**
   * A signed commit from gossip (`from`: its publisher; undefined: one already admitted, checked again):
   * admit it (rate, known-bad cache), verify it, screen it (turn, one per aggregator), recompute its merge,
   * let the machine decide.
   */
  async onCommit(signed: SignedCommit, from?: string): Promise<void> {
    const c = signed.commit;
    const hash = commitHash(c);
    if (this.d.commits.finished || this.checking.has(hash)) return;
    const admission = from === undefined ? 'ok' : this.d.conduct.admitCommit(from, c, hash);
    if (admission !== 'ok') return this.d.book.drop(admission);
    this.checking.add(hash);
    try {
      await this.checkCommit(signed, hash);
    } catch (err) {
      this.d.log.error({ round: c.round, err }, 'checking a commit failed');
    } finally {
      this.checking.delete(hash);
    }
  }

  /** Signature, then the merge recomputed from held updates; the state machine decides on the rest. */
  private async checkCommit(signed: SignedCommit, hash: string): Promise<void> {
    const c = signed.commit;
    if (!(await verifyCommitSignature(signed, this.d.init.verify)))
      return noteRejected(this.d, c, hash, 'bad-signature');
    // Stale, ahead or failing the cheap checks: the machine decides without a merge.
    if (c.round !== this.state.round || !screenCommit(this.state, c, this.d.now()).ok) {
      return this.dispatch({ type: 'commit-received', signed, recomputedMergedHash: null });
    }
    const r = this.recompute(c);
    if (!r.ok && r.reason !== 'missing-updates') return noteRejected(this.d, c, hash, r.reason, r.detail);
    if (r.ok) this.mergedByCommit.set(hash, r.merged);
    this.dispatch({ type: 'commit-received', signed, recomputedMergedHash: r.ok ? r.mergedHash : null });
  }

  /** A commit waits for updates: once all are held, check it again. */
  recheckPending(): void {
    const p = this.state.pending;
    if (p !== null && namedUpdates(p.signed.commit).every((x) => this.d.store.get(x.updateHash))) {
      this.d.spawn('checking a commit', () => this.onCommit(p.signed));
    }
  }

  private perform(e: Effect): void {
    const { log } = this.d;
    switch (e.type) {
      case 'start-training':
        return this.run('training', () => this.train(e.round));
      case 'publish-update':
        return this.run('publishing an update', () => this.publishOwn(e.round));
      case 'merge-and-commit':
        return this.run('committing', (signal) => this.aggregate(e.round, e.attempt, signal));
      case 'publish-commit':
        return this.run('publishing a commit', () => this.publishCommit(e.signed));
      case 'withhold-commit':
        return log.info({ round: e.round }, 'not committing: the round moved on or another commit is in');
      case 'recheck-commit':
        return this.run('checking a commit', () => this.onCommit(e.signed));
      case 'apply-commit':
        return this.run('applying', (signal) => this.applyVerified(e.signed, signal));
      case 'fetch-update':
        return this.run('fetching an update', () => this.fetches.fetch(e.updateHash, e.from));
      case 'reject-commit':
        return noteRejected(this.d, { round: e.round, aggregator: e.aggregator }, e.hash, e.reason, e.detail);
      case 'drop':
        return noteDrop(this.d, e, this.state.round);
      case 'stalled':
        return noteStalled(this.d, e, counted(this.state).length);
      case 'catch-up':
        return this.d.requestCatchUp();
    }
  }

  private run(what: string, task: (signal: AbortSignal) => Promise<void>): void {
    this.d.spawn(`${what} (round ${this.state.round})`, task);
  }

  private async train(round: number): Promise<void> {
    const { init, work, commits } = this.d;
    // A peer that just started could otherwise close a round before it heard from every live member.
    await this.d.warmedUp();
    if (this.stopped || this.state.round !== round) return;
    if (commits.finished || (init.maxRounds !== null && round > init.maxRounds)) return;
    // A peer claims this round is committed: check the claim by catching up; a false one does not stop training.
    if (this.d.aheadOf(round)) await this.d.catchUp();
    if (this.stopped || this.state.round !== round) return;
    this.d.aggregation.startRound(round);
    const controller = new AbortController();
    this.training = { round, controller };
    let result: { tensors: NamedTensors; samples: number; metrics: Record<string, number> };
    try {
      result =
        round === 0
          ? { ...(await untilAborted(controller.signal, work.stats())), metrics: {} }
          : await untilAborted(controller.signal, work.train(round, commits.base, controller.signal));
    } catch (err) {
      if (controller.signal.aborted) return this.d.log.debug({ round, err }, 'local training abandoned');
      throw err;
    } finally {
      if (this.training?.controller === controller) this.training = null;
    }
    if (controller.signal.aborted || this.state.round !== round) return;
    if (round > 0) this.d.book.trained(round, result.metrics);
    if (!Number.isSafeInteger(result.samples) || result.samples <= 0) {
      return this.d.log.error(
        { round, samples: result.samples },
        'training reported no samples; not contributing',
      );
    }
    this.localSamples = result.samples;
    const fields = {
      kind: roundKind(round, this.state.cfg.merge).kind,
      samples: result.samples,
      baseCommitHash: this.state.prevHash,
    };
    const bytes = await this.d.aggregation.contribute(round, result, controller.signal);
    if (bytes === null || controller.signal.aborted || this.state.round !== round) return;
    const m = this.d.store.holdBytes(bytes, fields, init.self, round);
    this.dispatch({ type: 'local-update-ready', round, updateHash: m.updateHash, samples: m.samples });
  }

  /** Announces this peer's update of `round`, then its chunks, on the updates topic. */
  private async publishOwn(round: number): Promise<void> {
    const own = this.state.updates.get(this.d.init.self);
    const u = own === undefined ? undefined : this.d.store.get(own.updateHash);
    const current = () => !this.stopped && this.state.round === round;
    if (u !== undefined) await publishUpdate(u, round, this.d.publish, current);
  }

  /** The merge rule and validation bounds of this peer's next merge: the last merged model is the reference. */
  policy(): MergePolicy {
    const { base: reference, fixedSamples } = this.d.commits;
    return { ...this.d.init.mergeOptions, merge: this.state.cfg.merge, reference, fixedSamples };
  }

  /** The merge a commit names, recomputed from what this peer holds. */
  recompute(c: RoundCommit): Recomputed {
    return this.d.aggregation.recompute(c, this.policy());
  }

  private async aggregate(round: number, attempt: number, signal: AbortSignal): Promise<void> {
    const { init, log } = this.d;
    // A member says this round is committed (a restarted peer missed the commit, or it is on its way):
    // committing it again would fork the log. Check the claim by catching up; commit only once it failed.
    if (this.d.aheadOf(round)) await this.d.catchUp();
    if (this.stopped || this.state.round !== round) return;
    if (this.d.aheadOf(round)) return log.info({ round, attempt }, 'not committing: catching up first');
    const kind = roundKind(round, this.state.cfg.merge);
    const c = { round, ...kind, contributors: counted(this.state) };
    const { r, contributors, excluded } = await this.d.aggregation.aggregate(c, this.policy(), signal);
    if (excluded.length > 0) log.warn({ round, excluded }, 'left invalid updates out');
    if (!r.ok) return log.error({ round, reason: r.reason, detail: r.detail }, 'cannot merge the updates');
    const genesis = round === 0 && init.genesis !== undefined ? { genesis: init.genesis } : {};
    const commit = createCommit({
      ...{ swarmId: init.swarmId, round, prevHash: this.state.prevHash, contributors, ...kind },
      ...(excluded.length > 0 ? { excluded } : {}),
      ...genesis,
      ...{ mergedHash: r.mergedHash, aggregator: init.self, createdAt: Math.floor(this.d.now()) },
    });
    const signed = await untilAborted(signal, signCommit(commit, init.sign));
    this.mergedByCommit.set(commitHash(commit), r.merged);
    log.debug({ round, attempt, contributors: contributors.length }, 'merged and signed a commit');
    this.dispatch({ type: 'own-commit-signed', signed, mergedHash: r.mergedHash });
  }

  private async publishCommit(signed: SignedCommit): Promise<void> {
    const { round, contributors } = signed.commit;
    this.d.log.info({ round, contributors: contributors.length }, 'committing the round as aggregator');
    await this.d.publish({ type: 'commit', round, body: signed });
  }

  /**
   * A commit this peer verified: it votes for it and applies it once a quorum did (a certificate); a commit
   * that gathers no quorum here is never applied (another one of the round may be, through catch-up).
   */
  private async applyVerified(signed: SignedCommit, signal: AbortSignal): Promise<void> {
    const hash = commitHash(signed.commit);
    const merged = this.mergedByCommit.get(hash);
    if (merged === undefined) throw new Error(`no merge recomputed for commit ${hash}`); // a bug
    const certified = await this.d.votes.certify(signed, signal);
    if (certified === null || this.stopped) return;
    await this.applyChain([certified], merged);
  }

  /**
   * Applies a verified commit, or a verified chain segment after catching up (merged: its last commit's),
   * and moves the machine to the round after it.
   */
  async applyChain(chain: readonly SignedCommit[], merged: NamedTensors): Promise<boolean> {
    const signed = chain[chain.length - 1];
    const round = signed.commit.round;
    if (this.training !== null && this.training.round <= round) {
      this.training.controller.abort(new Error(`round ${round} was committed without this peer's update`));
    }
    const applied = await this.d.commits.apply(chain, merged);
    if (!applied) return false;
    this.d.votes.settled(round);
    this.mergedByCommit.clear();
    this.d.store.prune(round);
    this.dispatch({ type: 'commit-applied', round, hash: commitHash(signed.commit) });
    // Updates that arrived while this peer was further behind count now.
    const next = this.state.round;
    for (const u of this.d.store.heldIn([next, next + 1], this.d.init.self)) {
      const { updateHash, samples } = u.manifest;
      this.dispatch({ type: 'update-received', from: u.from, round: u.round, updateHash, samples });
    }
    return true;
  }
}
