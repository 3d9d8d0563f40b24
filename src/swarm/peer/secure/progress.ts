/** Waits of the secure round on what messages bring, re-checked on each message and every POLL_MS. */
const POLL_MS = 200;

export class Progress {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly now: () => number) {}

  /** Something arrived: every waiter checks its condition again. */
  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  /** Resolves true once `cond()` holds, false at `deadlineMs` or on abort. */
  async until(cond: () => boolean, deadlineMs: number, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      if (cond()) return true;
      const left = deadlineMs - this.now();
      if (left <= 0 || signal.aborted) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, POLL_MS));
        this.waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    }
  }
}
