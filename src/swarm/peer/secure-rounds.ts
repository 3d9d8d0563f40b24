import type { Recomputed, TensorLayout } from '../protocol/index.js';
import { SecureRoundState } from './secure-state.js';

/*
 * What a peer keeps per secure round: its state, the model layout it masked, and unmasked merges by commit
 * (every check of one commit unmasks once). Rounds older than the one just committed are forgotten; that one
 * stays one round longer, so a late revealed share is still checked and named.
 */
export class SecureRounds {
  private readonly states = new Map<number, SecureRoundState>();
  readonly layouts = new Map<number, TensorLayout[]>();
  private readonly merged = new Map<string, Recomputed>();

  constructor(
    private readonly swarmId: string,
    private readonly self: string,
  ) {}

  /** The state of `round` while it is current, just committed or next; else undefined. */
  get(round: number, current: number): SecureRoundState | undefined {
    if (round < current - 1 || round > current + 1) return undefined;
    for (const r of this.states.keys()) {
      if (r < current - 1) [this.states, this.layouts].forEach((m) => m.delete(r));
    }
    for (const key of this.merged.keys())
      if (Number(key.split('|')[0]) < current - 1) this.merged.delete(key);
    const st = this.states.get(round) ?? new SecureRoundState({ swarmId: this.swarmId, round }, this.self);
    this.states.set(round, st);
    return st;
  }

  /** The state of `round` if this peer has one, without creating it. */
  peek(round: number): SecureRoundState | undefined {
    return this.states.get(round);
  }

  /** A merge unmasked before for the same round and contributors, else `compute()` (kept when it worked). */
  mergeOnce(
    c: { round: number; contributors: readonly { peerId: string; updateHash: string; samples: number }[] },
    compute: () => Recomputed,
  ): Recomputed {
    const key = [c.round, ...c.contributors.map((x) => `${x.peerId}:${x.updateHash}:${x.samples}`)].join('|');
    const cached = this.merged.get(key);
    if (cached !== undefined) return cached;
    const r = compute();
    if (r.ok) this.merged.set(key, r);
    return r;
  }
}
