import { peerIdFromString } from '@libp2p/peer-id';
import type { Libp2p } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import type { SwarmLog } from './direct.js';

type Node = Pick<Libp2p, 'dial' | 'getConnections'>;

export interface RedialOptions {
  redialMinMs?: number;
  redialMaxMs?: number;
  self: string;
  isMember(peerId: string): boolean;
  log: SwarmLog;
}

export interface Redialer {
  start(): void;
  stop(): void;
  /** A peer disconnected: if it is a bootstrap peer, retry soon instead of at the backed-off delay. */
  peerLeft(peerId: string): void;
}

/**
 * Keeps bootstrap peers connected: dials every unconnected bootstrap address at start, then again after a
 * delay that doubles on failure (bounded by `redialMaxMs`) and resets when all are connected.
 */
export function createRedialer(node: Node, addrs: Multiaddr[], options: RedialOptions): Redialer {
  const { self, isMember, log } = options;
  const minMs = options.redialMinMs ?? 1000;
  const maxMs = options.redialMaxMs ?? 30_000;
  const targets = addrs
    .map((ma) => ({ ma, peerId: ma.getPeerId() ?? undefined }))
    .filter((t) => t.peerId !== self);
  let timer: NodeJS.Timeout | undefined;
  let delayMs = minMs;
  let active = false;

  const connected = (peerId: string | undefined): boolean =>
    peerId != null && node.getConnections(peerIdFromString(peerId)).length > 0;

  const tick = async (): Promise<void> => {
    timer = undefined;
    // A bootstrap peer that is not a member would only be refused by our own gater (and counted) each round.
    const pending = targets.filter((t) => !connected(t.peerId) && (t.peerId == null || isMember(t.peerId)));
    const results = await Promise.allSettled(pending.map((t) => node.dial(t.ma)));
    results.forEach((result, i) => {
      const target = pending[i];
      if (result.status === 'fulfilled') target.peerId = result.value.remotePeer.toString();
      else log.debug({ addr: target.ma.toString(), err: result.reason }, 'bootstrap dial failed, will retry');
    });
    delayMs = results.some((r) => r.status === 'rejected') ? Math.min(delayMs * 2, maxMs) : minMs;
    schedule(results.length === 0 ? maxMs : delayMs);
  };

  const schedule = (ms: number): void => {
    if (!active || timer != null) return;
    timer = setTimeout(() => void tick(), ms);
  };

  return {
    start() {
      active = true;
      schedule(0);
    },
    stop() {
      active = false;
      clearTimeout(timer);
      timer = undefined;
    },
    peerLeft(peerId) {
      if (!active || !targets.some((t) => t.peerId === peerId)) return;
      clearTimeout(timer);
      timer = undefined;
      delayMs = minMs;
      schedule(minMs);
    },
  };
}
