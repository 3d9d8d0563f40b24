import type { Outgoing } from '../net/index.js';
import type { UpdateStore } from '../transfer/index.js';
import type { PeerBook } from './book.js';
import type { SecureParams } from './secure-state.js';
import type { PeerLog, SwarmPeerInit } from './types.js';

/** What the secure round needs from the peer around it. */
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

export type UnmaskSender = { peerId: string; maskedHash: string };

/** A masked vector the aggregator leaves out before unmasking (another roster, wrong length, malformed). */
export interface SecureExclusion {
  peerId: string;
  reason: 'secagg';
  detail: string;
}
