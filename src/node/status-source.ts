import type { SwarmHost, SwarmPeer, SwarmPeerEvent } from '../swarm/index.js';
import { privacyStatus, type PrivacyPlan } from './privacy-config.js';
import type { RoundHistoryEntry, StatusSnapshot, StatusSource, SwarmdMetrics } from './status/index.js';

const VERSION = '0.1.0';
const HISTORY_LIMIT = 1000;

/** Per-round training and merge results of this site, as the dashboard plots them. */
export class RoundHistory {
  private readonly rounds = new Map<number, RoundHistoryEntry & { startedAt: number }>();

  /** The history saved with the round log (meta `history`), so the dashboard keeps its plots after a restart. */
  constructor(saved: readonly RoundHistoryEntry[] = []) {
    for (const e of saved.slice(-HISTORY_LIMIT))
      this.rounds.set(e.round, { ...e, startedAt: e.atMs - e.durationMs });
  }

  trained(round: number, m: Record<string, number>, now = Date.now()): void {
    const e = this.entry(round, now);
    // The round started when local training did (trainMs before this report), not now.
    if (m.trainMs !== undefined) e.startedAt = Math.min(e.startedAt, now - m.trainMs);
    e.trainLoss = m.trainLoss ?? NaN;
    e.valAccuracy = m.localValScore ?? NaN;
  }

  /** Records the merged model's result; returns the round's duration from the start of local training. */
  applied(round: number, m: Record<string, number>, now = Date.now()): number {
    const e = this.entry(round, now);
    e.mergedAccuracy = m.mergedValScore ?? null;
    e.durationMs = Math.max(0, now - e.startedAt);
    e.atMs = now;
    for (const r of [...this.rounds.keys()].sort((a, b) => a - b).slice(0, -HISTORY_LIMIT))
      this.rounds.delete(r);
    return e.durationMs;
  }

  list(): RoundHistoryEntry[] {
    return [...this.rounds.values()]
      .filter((e) => Number.isFinite(e.trainLoss))
      .sort((a, b) => a.round - b.round)
      .map(({ startedAt: _, ...e }) => e);
  }

  private entry(round: number, now: number) {
    let e = this.rounds.get(round);
    if (!e) {
      e = {
        round,
        trainLoss: NaN,
        valAccuracy: NaN,
        mergedAccuracy: null,
        durationMs: 0,
        atMs: now,
        startedAt: now,
      };
      this.rounds.set(round, e);
    }
    return e;
  }
}

export function statusSource(o: {
  peer: SwarmPeer;
  host: SwarmHost;
  backend: string;
  backendDevice: string;
  swarmId: string;
  history: RoundHistory;
  disk: { readonly dataDirBytes: number | null };
  /** Peer id → name, from the swarm config's members (the swarm peer knows ids only). */
  names: ReadonlyMap<string, string>;
  rounds: number | null;
  /** What the model learns and the score the history's val/merged fields hold. */
  task?: { kind: string; score: string };
  /** Swarm config `privacy` (null: off): ε is computed from the last applied commit's round. */
  privacy?: PrivacyPlan | null;
}): StatusSource {
  const startedAtMs = Date.now();
  return {
    status(): StatusSnapshot {
      const s = o.peer.status();
      return {
        peerId: o.host.peerId,
        listenAddrs: o.host.addrs(),
        backend: o.backend,
        backendDevice: o.backendDevice,
        swarmId: o.swarmId,
        task: o.task,
        members: s.members.map((m) => ({ ...m, name: o.names.get(m.peerId) ?? null })),
        membersLive: s.membersLive,
        membersTotal: s.members.length,
        round: s.round,
        roundsTotal: o.rounds,
        finishedAfterRound: finishedAfter(o.rounds, s.lastCommit),
        phase: s.phase,
        aggregator: s.aggregator,
        lastCommit: s.lastCommit,
        waitingForPeers: s.waitingForPeers,
        stalledSinceMs: s.stalledSinceMs,
        stalledReason: s.stalledReason,
        history: o.history.list(),
        dropped: s.dropped,
        startedAtMs,
        version: VERSION,
        dataDirBytes: o.disk.dataDirBytes,
        privacy: o.privacy
          ? privacyStatus(o.privacy, s.lastCommit?.round ?? null, s.unmaskedNotCommitted)
          : null,
      };
    },
  };
}

function finishedAfter(rounds: number | null, last: { round: number } | null): number | null {
  return rounds !== null && last !== null && last.round >= rounds ? last.round : null;
}

/** Turns the swarm peer's events into Prometheus metrics; members are labelled by name where `names` has one. */
export function wireMetrics(
  m: SwarmdMetrics,
  names: ReadonlyMap<string, string> = new Map(),
): (e: SwarmPeerEvent) => void {
  const peer = (peerId: string) => names.get(peerId) ?? peerId;
  return (e) => {
    switch (e.type) {
      case 'round-committed':
        m.roundsCommitted.inc(); // its duration is observed where the history records it (from training start)
        m.round.set(e.round);
        break;
      case 'dropped':
        m.messagesDropped.inc({ reason: e.reason });
        break;
      case 'excluded':
        m.updatesExcluded.inc({ peer: peer(e.peerId), reason: e.reason });
        break;
      case 'offence':
        m.memberOffences.inc({ peer: peer(e.peerId), offence: e.offence });
        break;
      case 'bytes':
        (e.direction === 'out' ? m.bytesSent : m.bytesReceived).inc({ topic: e.topic }, e.n);
        break;
      case 'trained':
        if (e.metrics.trainLoss !== undefined) m.trainLoss.set(e.metrics.trainLoss);
        if (e.metrics.localValScore !== undefined) m.valAccuracy.set(e.metrics.localValScore);
        break;
      case 'peer':
        break;
    }
  };
}
