import type { NamedTensors } from '../../core/index.js';
import type { PeerLog, SwarmHost, TrafficChannel } from '../net/index.js';
import type {
  CommitRecord,
  ExclusionReason,
  Genesis,
  MergeMethod,
  MergePolicy,
  Offence,
  RoundPhase,
} from '../protocol/index.js';

export type { CommitRecord, PeerLog, TrafficChannel };

/** The model side of a round, as the swarm peer sees it; the node implements it with tfjs. */
export interface RoundWork {
  /** Local feature statistics for the shared preprocessing round (round 0, merged with method 'sum'). */
  stats(): Promise<{ tensors: NamedTensors; samples: number }>;
  /** Train from `base` (the last merged weights, or null = own initial weights) for one round. */
  train(
    round: number,
    base: NamedTensors | null,
    signal: AbortSignal,
  ): Promise<{ tensors: NamedTensors; samples: number; metrics: Record<string, number> }>;
  /** Adopts the merged tensors of a verified, logged commit (round 0: the merged statistics). */
  adopt(round: number, merged: NamedTensors, commit: CommitRecord): Promise<void>;
}

/** The round log as the peer sees it: the chain of verified commits, persisted with what they produced. */
export interface RoundLog {
  /** Entries from `fromRound` on, in round order (served to peers that catch up). */
  read(fromRound: number): Promise<CommitRecord[]>;
  /**
   * Persists a verified chain segment that links onto the entry before its first round (entries from that
   * round on are replaced: a fork repaired), with the last commit's merged tensors, atomically.
   */
  append(chain: CommitRecord[], merged: NamedTensors): Promise<void>;
  /**
   * Records this member's vote for commit `hash` of `round`, durably, before the vote is sent; returns the
   * hash it voted for in that round (an earlier vote wins: a member never signs two commits of a round, also
   * across a crash and restart).
   */
  vote(round: number, hash: string): Promise<string>;
}

export interface SwarmPeerInit {
  swarmId: string;
  /** This peer's id. */
  self: string;
  /** The allowlist, self included. */
  members: string[];
  minPeers: number;
  /** Votes of distinct members that make a commit final (default ⌊members/2⌋ + 1; at least that). */
  certQuorum?: number;
  /** The swarm config this peer runs, bound by the chain's round 0 (absent: round 0 binds none). */
  genesis?: Genesis;
  /** How model rounds merge (default fedavg); the statistics round always sums. */
  merge?: MergeMethod;
  /** Merge parameters and update validation bounds (see MergePolicy); every member must use the same. */
  mergeOptions?: Omit<MergePolicy, 'merge' | 'reference' | 'fixedSamples'>;
  roundDeadlineMs: number;
  commitTimeoutMs: number;
  /** How early before its turn a commit is still accepted (default commitTimeoutMs / 2). */
  turnToleranceMs?: number;
  /** Offence points at which a member is ignored for the rest of the session (default 10). */
  ignoreAfterPoints?: number;
  /** aggregation: secure (members see only pairwise-masked updates, see secure/index.ts); absent: plain. */
  secure?: SecureAggregationInit;
  /** Stop training after applying this round (keep serving); null: train forever. */
  maxRounds: number | null;
  /** pskSecret(psk): the topic key is derived from it with deriveTopicKey. */
  swarmSecret: Uint8Array;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
  verify: (peerId: string, bytes: Uint8Array, sig: Uint8Array) => Promise<boolean>;
  /** Resume: last applied commit from the store (bytes = what apply() was given) and its merged tensors. */
  resume: (CommitRecord & { merged: NamedTensors }) | null;
  /**
   * Resume: the statistics round's commit (round 0) and its merged statistics, so a restarted peer can still
   * serve them to a site that joins late. Optional; without it only peers that ran round 0 since their last
   * start can.
   */
  resumeStats?: { bytes: Uint8Array; merged: NamedTensors } | null;
}

export interface SecureAggregationInit {
  /** Share of each secret's holders that may drop out after set-up; fixes the threshold t. */
  dropoutFraction: number;
  /** SecAgg+ degree k, `auto` (O(log n)) or `all` (every pair masks). */
  graphDegree: number | 'auto' | 'all';
  /** Members that may collude and lie (default ⌊(n − 1)/3⌋ of the member list). */
  maxColluders?: number;
}

export interface SwarmPeerComponents {
  host: SwarmHost;
  work: RoundWork;
  roundLog: RoundLog;
  log: PeerLog;
  /** Wall clock in ms (default Date.now). */
  now?: () => number;
  /** Heartbeat and housekeeping period (default 1000 ms). */
  tickMs?: number;
  onEvent?: (e: SwarmPeerEvent) => void;
}

/** What the node turns into metrics. `peer.connected` is liveness (`MemberStatus.live`). */
export type SwarmPeerEvent =
  /** durationMs: since the previous commit this peer applied (the node times rounds from training start). */
  | { type: 'round-committed'; round: number; durationMs: number }
  | { type: 'dropped'; reason: string }
  /** A commit this peer applied left this member's update out (every peer counts the same). */
  | { type: 'excluded'; peerId: string; reason: ExclusionReason }
  | { type: 'offence'; peerId: string; offence: Offence }
  | { type: 'bytes'; direction: 'in' | 'out'; topic: TrafficChannel; n: number }
  | { type: 'trained'; round: number; metrics: Record<string, number> }
  | { type: 'peer'; peerId: string; connected: boolean };

export interface SwarmPeerStatus {
  /** The round in progress (the last applied one + 1). */
  round: number;
  phase: RoundPhase;
  /** The peer expected to commit now, or null outside commit time. */
  aggregator: string | null;
  lastCommit: {
    round: number;
    hash: string;
    contributors: { peerId: string; samples: number }[];
    atMs: number;
    /** True for the commit a restarted peer resumed from its round log (atMs: when it was created). */
    resumed: boolean;
  } | null;
  /** The round waits to start: fewer than minPeers members (self included) are live, since sinceMs. */
  waitingForPeers: { online: number; minPeers: number; sinceMs: number } | null;
  /** Members live now (self included): the count of `members[].live`, the waiting line's `online`. */
  membersLive: number;
  members: MemberStatus[];
  stalledSinceMs: number | null;
  stalledReason: string | null;
  dropped: Record<string, number>;
  bytesSent: number;
  bytesReceived: number;
  /** Secure rounds: sums this peer saw unmasked that no applied commit merged (each a release for ε). */
  unmaskedNotCommitted: number;
}

export interface MemberStatus {
  peerId: string;
  self: boolean;
  /**
   * Live: a hello made it live and something was heard from it within the liveness window (5 ticks), so
   * the rounds count it — the one meaning of "live" and "online" in status, metrics and the waiting line.
   * The peer itself is always live.
   */
  live: boolean;
  /** A direct libp2p connection to it (messages may still arrive relayed without one). */
  connected: boolean;
  lastSeenMs: number | null;
  /** The last message heard from it (type and round); null: never heard since this peer started. */
  lastHeard: { type: string; round: number } | null;
  /** Updates of this member that applied commits left out, by reason. */
  excluded: Partial<Record<ExclusionReason, number>>;
  /** Offences this peer saw it commit, by kind (each piece of evidence once). */
  offences: Partial<Record<Offence, number>>;
  /** Since when this peer ignores it (offences reached the threshold); null: heard. */
  ignoredSinceMs: number | null;
}

export interface SwarmPeer {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SwarmPeerStatus;
  /** Resolves when round r is applied locally; rejects after timeoutMs or on stop(). */
  waitForRound(r: number, timeoutMs: number): Promise<void>;
}
