import type { Outgoing } from '../net/index.js';
import type { HeldUpdate, UpdateStore } from '../transfer/index.js';
import type { PeerCommits } from './applied.js';
import type { PeerBook } from './book.js';
import type { PeerConduct } from './conduct.js';
import type { Aggregation } from './aggregation.js';
import type { PeerLog, RoundWork, SwarmPeerInit } from './types.js';
import type { PeerVotes } from './votes.js';

/** What PeerRounds needs from the peer around it. */
export interface PeerRoundsDeps {
  init: SwarmPeerInit;
  work: RoundWork;
  log: PeerLog;
  now(): number;
  book: PeerBook;
  store: UpdateStore;
  commits: PeerCommits;
  conduct: PeerConduct;
  /** Votes for verified commits and waits for their certificates. */
  votes: PeerVotes;
  publish(m: Outgoing): Promise<boolean>;
  fetchUpdate(
    updateHash: string,
    contributor: string,
    round: number,
    preferred: string[],
  ): Promise<HeldUpdate>;
  /** A peer says it has this round already: catch up (training goes on until a verified commit arrives). */
  aheadOf(round: number): boolean;
  /** Resolves once this peer has listened long enough to know which members are live. */
  warmedUp(): Promise<void>;
  requestCatchUp(): void;
  /** Catches up now; resolves when that attempt ends (bounded): a claim is checked, never just believed. */
  catchUp(): Promise<void>;
  /** How this swarm aggregates (plain or secure), chosen once in peer.ts. */
  aggregation: Aggregation;
  /** Runs round work in the background, tracked and ended by the peer's stop(). */
  spawn(what: string, task: (signal: AbortSignal) => Promise<unknown>): void;
}
