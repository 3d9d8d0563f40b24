import type { SwarmHost } from './host.js';
import type { PeerLog } from './channel.js';

/**
 * Keeps members directly connected. Sites usually bootstrap to one peer only; without direct links every
 * message between two other sites depends on that peer relaying it, and the swarm splits when it dies.
 * A hello carries the sender's listen addresses; a member this host is not connected to is dialled, at most
 * once per `retryMs`.
 */
export class MemberLinks {
  private readonly lastTry = new Map<string, number>();

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
    if (now() - (this.lastTry.get(from) ?? -Infinity) < retryMs) return;
    this.lastTry.set(from, now());
    const candidates = addrs
      .map((a) => (a.includes('/p2p/') ? a : `${a}/p2p/${from}`))
      .filter((a) => a.endsWith(`/p2p/${from}`));
    this.o.spawn('dialling a member', (signal) => this.dialFirst(from, candidates, signal));
  }

  private async dialFirst(peer: string, addrs: string[], signal: AbortSignal): Promise<void> {
    for (const addr of addrs) {
      if (signal.aborted) return;
      try {
        await this.o.host.dial(addr, { timeoutMs: 5000, signal });
        this.o.log.debug({ peer, addr }, 'connected directly to a member');
        return;
      } catch (err) {
        this.o.log.debug({ peer, addr, err }, 'could not dial a member it heard from');
      }
    }
  }
}
