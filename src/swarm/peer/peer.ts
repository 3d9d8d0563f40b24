import { SwarmdError, type NamedTensors } from '../../core/index.js';
import {
  checkTurn,
  defaultCertQuorum,
  deriveTopicKey,
  pushedByGossip,
  roundKind,
  type Recomputed,
  type SignedCommit,
  type UpdateManifest,
  type WireMessage,
} from '../protocol/index.js';
import { PeerCommits } from './applied.js';
import { createPeerChannel, MemberLinks, type Outgoing, type PeerChannel } from '../net/index.js';
import { AheadTracker, CertifiedHeads, catchUpFrom, isFalseClaim } from './catchup.js';
import { PeerConduct } from './conduct.js';
import { PeerRounds } from './rounds.js';
import { createFetchHandler, type HeldUpdate, Transfer, UpdateStore } from '../transfer/index.js';
import { Background } from './background.js';
import { PeerBook } from './book.js';
import { RoundWaiters } from './waiters.js';
import type { Aggregation } from './aggregation.js';
import { PlainAggregation } from './plain.js';
import { createSecureAggregation } from './secure/index.js';
import { PeerVotes } from './votes.js';
import type { SwarmPeer, SwarmPeerComponents, SwarmPeerInit, SwarmPeerStatus } from './types.js';

/*
 * The swarm peer: the I/O shell around the pure round state machine. It says hello on `control` every
 * tick, moves updates as sealed chunks on `updates`, repairs and fetches over the direct protocol, merges
 * and commits when its aggregator turn comes, checks every commit by recomputing the merge, applies through
 * RoundWork, and catches up from peers that are ahead. Round 0 merges feature statistics (sum) the same way.
 */
export function createSwarmPeer(init: SwarmPeerInit, components: SwarmPeerComponents): SwarmPeer {
  return new Peer(init, components);
}

/** Hello periods without a hello before a member counts as lost; ticks before missing chunks are fetched;
 * before a peer one round ahead is caught up with; before a peer that failed to help is asked again. */
const LOST_AFTER_HELLOS = 5;
const REPAIR_AFTER_TICKS = 2;
const AHEAD_AFTER_TICKS = 3;
const RETRY_CATCH_UP_TICKS = 5;
/**
 * Hellos a member receives per tick at most. Every hello is a signed, sealed gossip message every member
 * checks, so n sites saying hello each tick cost n² checks a tick: 30 daemons on one 2-core machine spent
 * it all on hellos and the bootstrap site took 30 s to accept a connection. Beyond 11 members the hello
 * period grows with the swarm (2 ticks at 20, 3 at 30, 5 at 50) and so does the time to count one lost.
 */
const HELLOS_PER_TICK = 10;

/** Ticks between two hellos of a member in a swarm of `members`. */
export function helloEveryTicks(members: number): number {
  return Math.max(1, Math.ceil((members - 1) / HELLOS_PER_TICK));
}

class Peer implements SwarmPeer {
  private readonly now: () => number;
  private readonly tickMs: number;
  /** Hellos go out every `helloEvery` ticks; a member is lost after `lostAfterMs` without one. */
  private readonly helloEvery: number;
  private readonly lostAfterMs: number;
  private ticks = 0;
  private commitWaitNoted = false;
  private readonly members: ReadonlySet<string>;
  private readonly book: PeerBook;
  private readonly store = new UpdateStore();
  private readonly channel: PeerChannel;
  private readonly transfer: Transfer;
  private readonly commits: PeerCommits;
  private readonly rounds: PeerRounds;
  private readonly ahead: AheadTracker;
  private readonly heads: CertifiedHeads;
  private readonly conduct: PeerConduct;
  private readonly links: MemberLinks;
  private readonly waiters = new RoundWaiters();
  private readonly aggregation: Aggregation;
  private readonly votes: PeerVotes;
  private readonly quorum: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly background: Background;
  private startedAt = 0;
  private wired = false;
  private running = false;

  constructor(
    private readonly init: SwarmPeerInit,
    private readonly c: SwarmPeerComponents,
  ) {
    const { log, host } = c;
    const now = (this.now = c.now ?? Date.now);
    const background = (this.background = new Background(log));
    const spawn = background.spawn.bind(background);
    this.tickMs = c.tickMs ?? 1000;
    this.members = new Set(init.members);
    this.helloEvery = helloEveryTicks(init.members.length);
    this.lostAfterMs = LOST_AFTER_HELLOS * this.helloEvery * this.tickMs;
    const conduct = (this.conduct = new PeerConduct({
      ...{ self: init.self, now, log, onEvent: c.onEvent, ignoreAfterPoints: init.ignoreAfterPoints },
      onIgnored: (peerId) => this.onIgnored(peerId),
    }));
    const book = (this.book = new PeerBook({
      ...{ self: init.self, members: init.members, now, onEvent: c.onEvent },
      onExcluded: (x) => conduct.offence(x.peerId, 'invalid-update', x.updateHash, x.reason),
    }));
    const store = this.store;
    const topicKey = deriveTopicKey(init.swarmSecret, init.swarmId);
    const minRound = () => this.rounds.state.round;
    this.channel = createPeerChannel({ ...init, members: this.members, host, topicKey, book, log, minRound });
    this.transfer = new Transfer({
      ...{ self: init.self, channel: this.channel, store, book, log, now },
      connectedPeers: () => host.connectedPeers(),
      isMember: (p) => this.members.has(p),
      timeoutMs: Math.max(5000, 5 * this.tickMs),
      onCompleted: (u) => this.onCompleted(u),
      get signal() {
        return background.signal;
      },
      spawn,
    });
    const onApplied = (round: number) => this.waiters.applied(round);
    this.commits = new PeerCommits({
      ...{ init, work: c.work, roundLog: c.roundLog, store, book, log, now },
      onApplied,
    });
    this.ahead = new AheadTracker(now, RETRY_CATCH_UP_TICKS * this.tickMs);
    this.quorum = init.certQuorum ?? defaultCertQuorum(init.members.length);
    this.heads = new CertifiedHeads({
      ...{
        swarmId: init.swarmId,
        members: this.members,
        verify: init.verify,
        transfer: this.transfer,
        now,
        spawn,
      },
      quorum: this.quorum,
      refuse: (peerId, err) => conduct.falseClaim(peerId, err),
    });
    const retryMs = 5 * this.tickMs;
    this.links = new MemberLinks({ host, self: init.self, members: this.members, now, retryMs, log, spawn });
    const publish = async (m: Outgoing) => this.running && this.channel.publish(m);
    this.votes = new PeerVotes({
      ...{ swarmId: init.swarmId, self: init.self, members: this.members, quorum: this.quorum },
      ...{ sign: init.sign, verify: init.verify, roundLog: c.roundLog, publish, conduct, book, log, now },
      round: () => this.rounds.state.round,
    });
    // How rounds aggregate, chosen once: plain, or secure when the swarm config asks for it.
    const aggregation = (this.aggregation =
      init.secure === undefined
        ? new PlainAggregation({ self: init.self, store, minPeers: init.minPeers })
        : createSecureAggregation(
            {
              ...{ init, store, book, conduct, log, now, spawn, publish },
              currentRound: () => this.rounds.state.round,
              live: () => this.rounds.state.live,
              turn: (peerId) => checkTurn(this.rounds.state, peerId, now()),
              fixedSamples: () => this.commits.fixedSamples,
              base: () => this.commits.base,
              onProgress: () => this.rounds.recheckPending(),
            },
            init.secure,
          ));
    this.rounds = new PeerRounds({
      ...{ init, work: c.work, log, now, book, store, commits: this.commits, conduct, aggregation },
      votes: this.votes,
      publish,
      fetchUpdate: (hash, from, round, preferred) => this.transfer.fetchUpdate(hash, from, round, preferred),
      aheadOf: (round) => this.ahead.hasCommitted(round),
      warmedUp: () => this.warmedUp(),
      requestCatchUp: () => this.maybeCatchUp(true),
      catchUp: () => {
        this.maybeCatchUp(true);
        return this.ahead.settled(() => this.background.sleep(Math.max(5000, 5 * this.tickMs)));
      },
      spawn,
    });
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.now();
    this.background.start();
    this.commits.start();
    this.rounds.start();
    if (!this.wired) this.wire();
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.tick();
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    clearInterval(this.timer);
    this.timer = undefined;
    this.rounds.stop();
    this.waiters.stop();
    // The caller may close the store next: every fetch, dial, catch-up and apply in progress ends first.
    await this.background.stop('the swarm peer stopped');
    await this.commits.stop();
  }

  status(): SwarmPeerStatus {
    const [state, conduct] = [this.rounds.state, this.conduct.snapshot()];
    return this.book.snapshot(state, this.c.host.connectedPeers(), this.commits.finished, conduct);
  }

  waitForRound(r: number, timeoutMs: number): Promise<void> {
    if ((this.commits.applied()?.round ?? -1) >= r) return Promise.resolve();
    return this.waiters.wait(r, timeoutMs);
  }

  /** Host handlers cannot be removed, so they are added once and ignore everything while stopped. */
  private wire(): void {
    this.wired = true;
    this.channel.listen((msg) => this.onGossip(msg));
    const serve = createFetchHandler({
      ...this.init,
      readLog: (from) => this.c.roundLog.read(from),
      members: this.members,
      store: this.store,
      commit: (hash) => this.commits.recentCommit(hash),
      log: this.c.log,
    });
    this.channel.serve(async (req, from) => {
      if (!this.running) throw new SwarmdError('PEER_STOPPED', 'this swarm peer is stopped');
      return serve(req, from);
    });
  }

  /**
   * Members not heard from within `lostAfterMs` are not live, so that is how long it takes to know; and
   * claims to be ahead heard by then are checked before a round starts (bounded: a claimer that does not
   * answer holds nothing up for long).
   */
  private async warmedUp(): Promise<void> {
    const waitMs = this.startedAt + this.lostAfterMs - this.now();
    if (waitMs > 0) await this.background.sleep(waitMs);
    const bound = this.background.sleep(Math.max(5000, 5 * this.tickMs));
    await Promise.race([this.heads.settled(), bound]);
  }

  private tick(): void {
    if (!this.running) return;
    try {
      this.heartbeat();
    } catch (err) {
      this.c.log.error({ round: this.rounds.state.round, err }, 'swarm tick failed');
    }
  }

  private heartbeat(): void {
    if (this.ticks++ % this.helloEvery === 0) this.sayHello();
    for (const peerId of this.book.expire(this.lostAfterMs)) {
      this.rounds.dispatch({ type: 'peer-lost', peerId });
    }
    this.rounds.dispatch({ type: 'tick' });
    this.votes.resend();
    this.noteCertificateWait();
    this.noteCommitWait();
    this.transfer.repairStalled(REPAIR_AFTER_TICKS * this.tickMs);
    this.maybeCatchUp(false);
  }

  /** Where this peer is (round, head, its update of the round) and how to reach it: idempotent, periodic. */
  private sayHello(): void {
    const last = this.commits.applied();
    const own = this.rounds.state.updates.get(this.init.self);
    const body = {
      committedRound: last?.round ?? null,
      commitHash: last?.hash ?? null,
      samples: this.rounds.localSamples,
      addrs: this.c.host.addrs().slice(0, 16),
      ...(own ? { updateHash: own.updateHash } : {}),
    };
    const hello = { type: 'hello' as const, round: this.rounds.state.round, body };
    this.background.spawn('saying hello', () => this.channel.publish(hello));
  }

  private onGossip(msg: WireMessage): void {
    if (!this.running) return;
    if (this.conduct.ignored(msg.from)) return this.book.drop('ignored-member');
    this.book.seen(msg.from, msg);
    // Only a hello makes a peer live for the rounds, after noting its progress: a restarted peer must know
    // it is behind before the state machine starts a round (gossip caches may replay older updates first).
    if (msg.type === 'hello') {
      this.noteClaim(msg.from, msg.body.committedRound, msg.body.commitHash);
      if (!this.rounds.state.live.has(msg.from))
        this.rounds.dispatch({ type: 'peer-seen', peerId: msg.from });
    }
    switch (msg.type) {
      case 'hello':
        this.links.onHello(msg.from, msg.body.addrs ?? []);
        this.fetchAnnounced(msg.from, msg.round, msg.body.updateHash);
        return this.maybeCatchUp(false);
      case 'update-manifest':
      case 'stats':
        return this.onManifest(msg.from, msg.round, msg.body);
      case 'chunk':
        return this.transfer.addChunk(msg.body.hash, msg.body.bytes);
      case 'commit':
        return void this.rounds.onCommit(msg.body, msg.from);
      case 'vote':
        return this.background.spawn('counting a vote', () =>
          this.votes.onVote(msg.from, msg.round, msg.body),
        );
      case 'evidence':
        return this.background.spawn('checking evidence', () =>
          this.votes.onEvidence(msg.from, msg.round, msg.body),
        );
      case 'heartbeat':
        return; // a sign of life only
      default:
        return this.aggregation.onMessage(msg); // the aggregation mode's own messages (secagg)
    }
  }

  /** A hello's head: a claim to be ahead counts only once its head commit shows a valid certificate. */
  private noteClaim(from: string, round: number | null, hash: string | null): void {
    const mine = () => this.commits.applied()?.round ?? -1;
    if (round === null || hash === null || round <= mine()) return this.ahead.note(from, round, mine());
    // Votes this peer counted for that head are a certificate already: no fetch needed.
    if (this.votes.certified(round, hash)) return this.ahead.note(from, round, mine());
    const certified = this.heads.check(from, round, hash, () => {
      this.ahead.note(from, round, mine());
      this.maybeCatchUp(false);
    });
    if (certified) this.ahead.note(from, round, mine());
  }

  /** A hello names the sender's update of the current round: the transfer fetches it if nothing brings it. */
  private fetchAnnounced(from: string, round: number, updateHash: string | undefined): void {
    if (!updateHash || round !== this.rounds.state.round || this.commits.finished) return;
    this.transfer.fetchNamed(updateHash, from, round);
  }

  /** Updates are assembled up to the round the swarm is at, so a peer that is catching up has them later. */
  private onManifest(from: string, round: number, manifest: UpdateManifest): void {
    if (this.commits.finished) return;
    if (manifest.kind !== roundKind(round).kind) return this.book.drop('wrong-kind');
    if (round > Math.max(this.rounds.state.round, this.ahead.maxRound()) + 1)
      return this.book.drop('future-round');
    const held = this.store.get(manifest.updateHash);
    if (held !== undefined) return this.onCompleted({ ...held, from, round });
    if (!this.transfer.expect(manifest, from, round)) return;
    if (!pushedByGossip(manifest)) this.transfer.pull(manifest.updateHash, from);
  }

  /** An update is whole: it takes part in its round (the state machine sorts out late and stale ones). */
  private onCompleted(u: HeldUpdate): void {
    if (!this.running || this.commits.finished || u.from === this.init.self) return;
    if (u.round > this.rounds.state.round + 1) return; // held until this peer reaches its round
    const { updateHash, samples } = u.manifest;
    this.rounds.dispatch({ type: 'update-received', from: u.from, round: u.round, updateHash, samples });
    this.rounds.recheckPending();
  }

  private maybeCatchUp(force: boolean): void {
    if (!this.running || this.commits.finished) return;
    const mine = this.commits.applied()?.round ?? -1;
    const peerId = this.ahead.candidate(mine, AHEAD_AFTER_TICKS * this.tickMs, force);
    if (peerId === undefined) return;
    const deps = {
      ...{ ...this.init, members: this.members, transfer: this.transfer, book: this.book, log: this.c.log },
      applied: () => this.commits.applied(),
      readOwn: (from: number) => this.c.roundLog.read(from),
      merge: this.rounds.state.cfg.merge,
      quorum: this.quorum,
      now: this.now,
      // The merge can be recomputed only on top of the model it started from (this peer's head).
      recompute: (s: SignedCommit): Recomputed =>
        s.commit.prevHash === this.commits.applied()?.hash
          ? this.rounds.recompute(s.commit)
          : { ok: false, reason: 'missing-updates' },
      apply: (chain: readonly SignedCommit[], m: NamedTensors) => this.rounds.applyChain(chain, m),
    };
    const claimed = this.ahead.claimOf(peerId);
    const failed = (err: unknown) => isFalseClaim(err, claimed, mine) && this.conduct.falseClaim(peerId, err);
    const run = () => this.ahead.run(peerId, () => catchUpFrom(deps, peerId), this.c.log, failed);
    this.background.spawn('catching up', run);
  }

  /** A verified commit that waited a commit timeout for its quorum says so in status (who voted how). */
  private noteCertificateWait(): void {
    const w = this.votes.waiting();
    if (w === null || this.now() - w.sinceMs < this.init.commitTimeoutMs) return;
    const reason = `round ${w.round}: the commit this peer verified has ${w.votes} of the ${w.quorum} votes it needs to be final (waiting for members to vote)`;
    this.book.setStalled({ sinceMs: w.sinceMs, reason });
  }

  /**
   * Every aggregator in the round's order had its turn and no valid commit came: status says so rather than
   * `committing` for ever. Seen at 20 secure sites with minPeers 20: a site killed after dealing its shares
   * took its masked vector with it, and every turn ended with 19 vectors, fewer than minPeers.
   */
  private noteCommitWait(): void {
    const s = this.rounds.state;
    const turns = s.aggregators.length;
    const waited = s.phase === 'committing' && s.closedAt !== null && turns > 0;
    if (waited && this.now() - s.closedAt! >= (turns + 1) * this.init.commitTimeoutMs) {
      const why =
        this.init.secure === undefined
          ? "the aggregators' logs say why"
          : 'a site that left after dealing its shares leaves fewer masked vectors than minPeers, and only ' +
            'minPeers below the number of sites lets such a round finish';
      const reason = `round ${s.round}: no valid commit after all ${turns} aggregator turns; ${why}`;
      this.book.setStalled({ sinceMs: s.closedAt!, reason });
      this.commitWaitNoted = true;
    } else if (this.commitWaitNoted) {
      this.book.setStalled(null);
      this.commitWaitNoted = false;
    }
  }

  /** An ignored member is lost to the rounds: its claims are forgotten and its turns pass to others. */
  private onIgnored(peerId: string): void {
    this.ahead.forget(peerId);
    this.rounds.dispatch({ type: 'peer-lost', peerId });
  }
}
