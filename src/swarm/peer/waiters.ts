import { SwarmdError } from '../../core/index.js';

/** Callers waiting for a round to be applied; each wait is bounded, and stop() rejects them all. */
export class RoundWaiters {
  private readonly waiters = new Set<{ round: number; done: (err?: Error) => void }>();

  wait(r: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        w.done(new SwarmdError('ROUND_WAIT_TIMEOUT', `round ${r} was not applied within ${timeoutMs} ms`));
      }, timeoutMs);
      const w = {
        round: r,
        done: (err?: Error) => {
          clearTimeout(timer);
          this.waiters.delete(w);
          if (err) reject(err);
          else resolve();
        },
      };
      this.waiters.add(w);
    });
  }

  applied(round: number): void {
    for (const w of [...this.waiters]) if (w.round <= round) w.done();
  }

  stop(): void {
    for (const w of [...this.waiters]) w.done(new SwarmdError('PEER_STOPPED', 'the swarm peer was stopped'));
  }
}
