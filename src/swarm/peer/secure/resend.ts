import type { SecAggMessageBody } from '../../protocol/index.js';
import type { Progress } from './progress.js';

/*
 * Gossip drops what it cannot deliver while a connection is down, and a secure round has no other copy of an
 * advert, roster, share, consistency signature or reveal: this peer re-publishes its own messages of the
 * current round every roundDeadlineMs / 20 (≥ 1 s) until the round moves on. Receivers keep the first of each
 * and ignore repeats.
 */
export class Resender {
  private readonly sent = new Map<number, SecAggMessageBody[]>();

  record(round: number, body: SecAggMessageBody): void {
    for (const r of this.sent.keys()) if (r < round - 1) this.sent.delete(r);
    this.sent.set(round, [...(this.sent.get(round) ?? []), body]);
  }

  async run(
    round: number,
    d: {
      everyMs: number;
      now(): number;
      currentRound(): number;
      publish(body: SecAggMessageBody): Promise<unknown>;
    },
    progress: Progress,
    signal: AbortSignal,
  ): Promise<void> {
    const movedOn = () => d.currentRound() !== round;
    while (!(await progress.until(movedOn, d.now() + d.everyMs, signal)) && !signal.aborted) {
      for (const body of this.sent.get(round) ?? []) await d.publish(body);
    }
  }
}
