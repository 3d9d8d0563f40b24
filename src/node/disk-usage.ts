import { directoryBytes } from '../storage/index.js';
import type { Logger } from '../core/index.js';

/**
 * The data directory's size for /status: measured at start and after each checkpoint write, never while
 * answering a status request. `stop()` waits for a measurement in flight.
 */
export class DiskUsage {
  private bytes: number | null = null;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  get dataDirBytes(): number | null {
    return this.bytes;
  }

  refresh(): void {
    this.pending = this.pending
      .then(() => directoryBytes(this.dir))
      .then(
        (bytes) => {
          this.bytes = bytes;
        },
        (err: Error) =>
          this.log.warn({ dir: this.dir, err: err.message }, 'cannot measure the data directory'),
      );
  }

  stop(): Promise<void> {
    return this.pending;
  }
}
