import type { PeerLog } from '../net/index.js';

/**
 * Everything a started peer runs in the background — fetches, pulls, repairs, catch-ups, dials, publishes,
 * round work, waits — under one AbortSignal. stop() aborts it and resolves only once every task has settled
 * and every timer is cleared, so nothing of the peer outlives it.
 */
export class Background {
  private controller = new AbortController();
  private readonly tasks = new Set<Promise<void>>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();

  constructor(private readonly log: PeerLog) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A fresh signal after a stop (a peer may be started again). */
  start(): void {
    if (this.controller.signal.aborted) this.controller = new AbortController();
  }

  /** Runs `task`; its failure is logged once here (unless it failed because the peer is stopping). */
  spawn(what: string, task: (signal: AbortSignal) => Promise<unknown>): void {
    const signal = this.signal;
    if (signal.aborted) return;
    const run = task(signal).then(
      () => undefined,
      (err: unknown) => {
        if (signal.aborted) this.log.debug({ err }, `${what} ended: the peer is stopping`);
        else this.log.error({ err }, `${what} failed`);
      },
    );
    this.tasks.add(run);
    void run.finally(() => this.tasks.delete(run));
  }

  /** Resolves after `ms`, or at once when the peer stops. */
  sleep(ms: number): Promise<void> {
    if (this.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  async stop(reason: string): Promise<void> {
    this.controller.abort(new Error(reason));
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
  }
}

/**
 * Waits for `work` unless `signal` aborts first (then rejects with its reason). For calls into code that
 * may not watch the signal itself (model training, signing): the peer stops waiting, so stop() is not held.
 */
export function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
