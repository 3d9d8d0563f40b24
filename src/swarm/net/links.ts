import type { SwarmHost } from './host.js';
import type { PeerLog } from './channel.js';

/** Link dials one host runs at once: the rest wait their turn (see MemberLinks). */
export const MAX_PARALLEL_LINK_DIALS = 2;
/** One link dial's limit: 5 s left 12 in-process sites at load 40 without a link beyond their bootstrap. */
const LINK_DIAL_TIMEOUT_MS = 30_000;

/**
 * Keeps members directly connected. Sites usually bootstrap to one peer only; without direct links every
 * message between two other sites depends on that peer relaying it, and the swarm splits when it dies.
 * A hello carries the sender's listen addresses; a member this host is not connected to is dialled, at most
 * once per `retryMs`.
 *
 * Dials are paced: when n sites start together each hears n − 1 hellos within a second, and dialling them
 * all at once (n² noise handshakes on both ends, each pair dialling the other at the same moment) stalled
 * handshakes past libp2p's 10 s upgrade timeout at 20 sites, so no link ever formed. Hence at most
 * MAX_PARALLEL_LINK_DIALS dials in flight, and of each pair the lower peer id dials first; the higher one
 * dials only when the link is still missing `retryMs` after it first heard the other (a site behind NAT).
 */
export class MemberLinks {
  private readonly lastTry = new Map<string, number>();
  private readonly firstHeard = new Map<string, number>();
  private readonly queued = new Map<string, string[]>();
  private inFlight = 0;

  constructor(
    private readonly o: {
      host: SwarmHost;
      self: string;
      members: ReadonlySet<string>;
      now: () => number;
      retryMs: number;
      log: PeerLog;
      /** Runs a dial in the background, tracked so stop() waits for it. */
      spawn(what: string, task: (signal: AbortSignal) => Promise<void>): void;
    },
  ) {}

  onHello(from: string, addrs: readonly string[]): void {
    const { host, self, members, now, retryMs } = this.o;
    if (from === self || !members.has(from) || host.connectedPeers().includes(from)) return;
    const heardAt = this.firstHeard.get(from) ?? now();
    this.firstHeard.set(from, heardAt);
    if (self > from && now() - heardAt < retryMs) return; // the other side dials first
    if (this.queued.has(from) || now() - (this.lastTry.get(from) ?? -Infinity) < retryMs) return;
    const candidates = addrs
      .map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${from}`))
      .filter((a) => a.endsWith(`/p2p/${from}`));
    if (candidates.length === 0) return;
    this.queued.set(from, candidates);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < MAX_PARALLEL_LINK_DIALS && this.queued.size > 0) {
      const [peer, addrs] = this.queued.entries().next().value as [string, string[]];
      this.queued.delete(peer);
      if (this.o.host.connectedPeers().includes(peer)) continue;
      this.lastTry.set(peer, this.o.now());
      // Counted inside the task, which spawn runs at once (or not at all once the peer is stopping).
      this.o.spawn('dialling a member', async (signal) => {
        this.inFlight++;
        try {
          await this.dialFirst(peer, addrs, signal);
        } finally {
          this.inFlight--;
          if (!signal.aborted) this.pump();
        }
      });
    }
  }

  private async dialFirst(peer: string, addrs: string[], signal: AbortSignal): Promise<void> {
    for (const addr of addrs) {
      if (signal.aborted) return;
      try {
        await this.o.host.dial(addr, { timeoutMs: LINK_DIAL_TIMEOUT_MS, signal });
        this.o.log.debug({ peer, addr }, 'connected directly to a member');
        return;
      } catch (err) {
        this.o.log.debug({ peer, addr, err }, 'could not dial a member it heard from');
      }
    }
  }
}
