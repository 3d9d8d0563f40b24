import {
  aggregatorForAttempt,
  type Contributor,
  type ExclusionReason,
  type MemberConduct,
  type NamedExclusion,
  type RoundState,
} from '../protocol/index.js';
import type { SwarmPeerEvent, SwarmPeerStatus, TrafficChannel } from './types.js';

/*
 * The swarm peer's bookkeeping for status and metrics: liveness of members, drops by reason, bytes, the
 * history of rounds. Every count also goes out as a SwarmPeerEvent, so the node needs no second source.
 */
export class PeerBook {
  private readonly lastSeen = new Map<string, number>();
  private readonly lastHeard = new Map<string, { type: string; round: number }>();
  private readonly live = new Set<string>();
  private readonly dropped: Record<string, number> = {};
  private readonly excluded = new Map<string, Partial<Record<ExclusionReason, number>>>();
  private lastCommit: SwarmPeerStatus['lastCommit'] = null;
  private stalled: { sinceMs: number; reason: string } | null = null;
  private waiting: { minPeers: number; sinceMs: number } | null = null;
  private roundStartedAt: number;
  private sent = 0;
  private received = 0;
  /** Round → the sums (by contributor set) this peer saw unmasked in it. */
  private readonly unmasked = new Map<number, Set<string>>();

  constructor(
    private readonly o: {
      self: string;
      members: readonly string[];
      now: () => number;
      onEvent?: (e: SwarmPeerEvent) => void;
      /** An applied commit left this update out (the conduct scores it). */
      onExcluded?: (x: NamedExclusion) => void;
    },
  ) {
    this.roundStartedAt = o.now();
  }

  drop(reason: string): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.emit({ type: 'dropped', reason });
  }

  /** A secure round's sum was unmasked here (`sum`: its contributor set): a release, committed or not. */
  unmaskedSum(round: number, sum: string): void {
    this.unmasked.set(round, (this.unmasked.get(round) ?? new Set()).add(sum));
  }

  bytes(direction: 'in' | 'out', topic: TrafficChannel, n: number): void {
    if (direction === 'in') this.received += n;
    else this.sent += n;
    this.emit({ type: 'bytes', direction, topic, n });
  }

  /** Records a sign of life (the message heard); true when the peer was not live before. */
  seen(peerId: string, heard?: { type: string; round: number }): boolean {
    if (peerId === this.o.self) return false;
    this.lastSeen.set(peerId, this.o.now());
    if (heard) this.lastHeard.set(peerId, { type: heard.type, round: heard.round });
    if (this.live.has(peerId)) return false;
    this.live.add(peerId);
    this.emit({ type: 'peer', peerId, connected: true });
    return true;
  }

  /** Live peers not heard from for `afterMs`, now marked lost. */
  expire(afterMs: number): string[] {
    const cutoff = this.o.now() - afterMs;
    const lost = [...this.live].filter((p) => (this.lastSeen.get(p) ?? 0) < cutoff);
    for (const peerId of lost) {
      this.live.delete(peerId);
      this.emit({ type: 'peer', peerId, connected: false });
    }
    return lost;
  }

  trained(round: number, metrics: Record<string, number>): void {
    this.emit({ type: 'trained', round, metrics });
  }

  setStalled(stalled: { sinceMs: number; reason: string } | null): void {
    this.stalled = stalled;
  }

  /**
   * Notes, after every state change, whether the round waits for quorum to start (idle with fewer live
   * members than minPeers) and since when: a lone restarted site says so instead of just "idle".
   */
  quorum(state: RoundState): void {
    const { minPeers } = state.cfg;
    if (state.phase !== 'idle' || state.live.size >= minPeers) this.waiting = null;
    else this.waiting ??= { minPeers, sinceMs: this.o.now() };
  }

  committed(
    round: number,
    hash: string,
    contributors: readonly Contributor[],
    excluded: readonly NamedExclusion[] = [],
  ): void {
    for (const { peerId, reason } of excluded) {
      const counts = this.excluded.get(peerId) ?? {};
      counts[reason] = (counts[reason] ?? 0) + 1;
      this.excluded.set(peerId, counts);
      this.emit({ type: 'excluded', peerId, reason });
    }
    excluded.forEach((x) => this.o.onExcluded?.(x));
    const atMs = this.o.now();
    const durationMs = Math.max(0, atMs - this.roundStartedAt);
    this.roundStartedAt = atMs;
    this.stalled = null;
    this.lastCommit = commitStatus(round, hash, contributors, atMs, false);
    this.emit({ type: 'round-committed', round, durationMs });
  }

  /** The commit a restarted peer resumed from (its time: when the aggregator created it). */
  resumed(round: number, hash: string, contributors: readonly Contributor[], createdAtMs: number): void {
    this.lastCommit = commitStatus(round, hash, contributors, createdAtMs, true);
  }

  snapshot(
    state: RoundState,
    connected: readonly string[],
    finished: boolean,
    conduct: readonly MemberConduct[] = [],
  ): SwarmPeerStatus {
    const now = this.o.now();
    const linked = new Set(connected);
    const conductOf = new Map(conduct.map((m) => [m.peerId, m]));
    // One definition of live (the rounds' own set) for every count below: they cannot disagree.
    const live = (peerId: string) => peerId === this.o.self || state.live.has(peerId);
    const membersLive = this.o.members.filter(live).length;
    return {
      round: state.round,
      phase: finished ? 'idle' : state.phase,
      aggregator: finished ? null : expectedAggregator(state, now),
      lastCommit: this.lastCommit,
      members: this.o.members.map((peerId) => ({
        peerId,
        self: peerId === this.o.self,
        live: live(peerId),
        connected: peerId === this.o.self || linked.has(peerId),
        lastSeenMs: peerId === this.o.self ? now : (this.lastSeen.get(peerId) ?? null),
        lastHeard: peerId === this.o.self ? null : (this.lastHeard.get(peerId) ?? null),
        excluded: { ...this.excluded.get(peerId) },
        offences: { ...conductOf.get(peerId)?.offences },
        ignoredSinceMs: conductOf.get(peerId)?.ignoredSinceMs ?? null,
      })),
      membersLive,
      waitingForPeers: finished || !this.waiting ? null : { ...this.waiting, online: membersLive },
      stalledSinceMs: this.stalled?.sinceMs ?? null,
      stalledReason: this.stalled?.reason ?? null,
      dropped: { ...this.dropped },
      bytesSent: this.sent,
      bytesReceived: this.received,
      unmaskedNotCommitted: this.unmaskedNotCommitted(),
    };
  }

  /** Sums unmasked beyond the one committed in each round up to the last commit, and all in later rounds. */
  private unmaskedNotCommitted(): number {
    const last = this.lastCommit?.round ?? -1;
    let n = 0;
    for (const [round, sums] of this.unmasked) n += round <= last ? sums.size - 1 : sums.size;
    return n;
  }

  private emit(e: SwarmPeerEvent): void {
    this.o.onEvent?.(e);
  }
}

function commitStatus(
  round: number,
  hash: string,
  contributors: readonly Contributor[],
  atMs: number,
  resumed: boolean,
): NonNullable<SwarmPeerStatus['lastCommit']> {
  const who = contributors.map((c) => ({ peerId: c.peerId, samples: c.samples }));
  return { round, hash, contributors: who, atMs, resumed };
}

/** The peer whose commit turn it is: attempt k runs from closedAt + k·commitTimeoutMs. */
function expectedAggregator(s: RoundState, now: number): string | null {
  if (s.phase !== 'committing' || s.closedAt === null) return null;
  const attempt = Math.max(0, Math.floor((now - s.closedAt) / s.cfg.commitTimeoutMs));
  return aggregatorForAttempt(s.aggregators, attempt) ?? null;
}
