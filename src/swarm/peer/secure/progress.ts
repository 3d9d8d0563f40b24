/** Waits of the secure round on what messages bring, re-checked on each message and every POLL_MS. */
const POLL_MS = 200;

export class Progress {
  private readonly waiters = new Set<() => void>();
  /** One abort listener per signal, however many waits share it (a peer's rounds wait on one signal). */
  private readonly hooked = new WeakSet<AbortSignal>();

  constructor(private readonly now: () => number) {}

  /** Something arrived: every waiter checks its condition again. */
  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves true once `cond()` holds, false at `deadlineMs` or on abort. */
  async until(cond: () => boolean, deadlineMs: number, signal: AbortSignal): Promise<boolean> {
    if (!this.hooked.has(signal)) {
      this.hooked.add(signal);
      signal.addEventListener('abort', () => this.notify(), { once: true });
    }
    for (;;) {
      if (cond()) return true;
      const left = deadlineMs - this.now();
      if (left <= 0 || signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, POLL_MS));
        this.waiters.add(done);
      });
    }
  }
}
