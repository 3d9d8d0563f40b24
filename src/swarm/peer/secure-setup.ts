import { SecAggError, type SecAggMessageBody } from '../protocol/index.js';
import type { SecureRoundDeps } from './secure-deps.js';
import { buildRound, type SecureRoundState, type SignedAdvert } from './secure-state.js';
import type { Progress } from './secure-wait.js';

/*
 * Set-up of a secure round, before masking: the roster (fixed by the first advertiser in the round's order)
 * and the dealt shares. Both waits are bounded, so a member that advertises and then goes silent costs the
 * round a bounded wait, not the round.
 */
interface SetupContext {
  st: SecureRoundState;
  d: SecureRoundDeps;
  progress: Progress;
  abandon(code: string, why: string): void;
}

/** The first advertiser in the round's order publishes the roster once every live member advertised. */
export async function publishRosterWhenReady(
  x: SetupContext,
  send: (body: SecAggMessageBody) => Promise<void>,
  signal: AbortSignal,
): Promise<void> {
  const { st, d } = x;
  const setupEnd = d.now() + d.init.roundDeadlineMs / 2;
  let roster: SignedAdvert[] | null = null;
  const ready = () => {
    roster = st.rosterToPublish(d.live(), d.now() >= setupEnd, d.init.secure.minRoster);
    return st.roster !== null || roster !== null;
  };
  const deadline = d.now() + d.init.roundDeadlineMs;
  if (!(await x.progress.until(ready, deadline, signal)) || roster === null || st.roster !== null) return;
  try {
    const threshold = buildRound(st.ctx, roster, d.init.secure).threshold;
    await send({ step: 'roster', adverts: roster, threshold });
  } catch (err) {
    if (!(err instanceof SecAggError)) throw err;
    x.abandon(err.code, err.message);
  }
}

/** How long a peer on the roster waits for its dealers' shares before masking without the silent ones. */
export function dealWaitMs(roundDeadlineMs: number): number {
  return roundDeadlineMs / 4;
}

/**
 * Waits (bounded) until every dealer this peer holds shares of has dealt; a dealer still silent then is
 * dropped from the round: this peer masks anyway, and the aggregator names it `silent` so the senders reveal
 * their pairwise seeds with it (its key was never shared). Returns the silent dealers; SecAggError if aborted.
 */
export async function awaitDealers(
  d: SecureRoundDeps,
  st: SecureRoundState,
  progress: Progress,
  signal: AbortSignal,
): Promise<string[]> {
  const waiting = () => st.dealersOfMine().filter((p) => !st.held.has(p) && !st.badDealers.has(p));
  await progress.until(() => waiting().length === 0, d.now() + dealWaitMs(d.init.roundDeadlineMs), signal);
  if (signal.aborted) throw new SecAggError('SECAGG_ABORTED', 'the round moved on while waiting for shares');
  const silent = waiting();
  if (silent.length > 0) {
    silent.forEach(() => d.book.drop('secagg-silent-dealer'));
    const reason = `dealt no shares within ${dealWaitMs(d.init.roundDeadlineMs)} ms: dropped from the round`;
    d.log.warn({ round: st.ctx.round, silent, reason }, 'masking without members that dealt no shares');
  }
  return silent;
}
