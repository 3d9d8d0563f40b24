import { afterEach, describe, expect, it } from 'vitest';
import type { WireMessage } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';
import { TestSwarm, stopAll } from './peer-harness.js';
import { TIMES, startSecure } from './secure-peers.js';

afterEach(stopAll);

/** Site 2 advertises and sends its masked vector, but its shares never leave (lost, or it restarted). */
const sharesLost = (msg: WireMessage): WireMessage | null =>
  msg.type === 'secagg' && msg.round === 1 && msg.body.step === 'shares' ? null : msg;

describe('a secure round that cannot finish', () => {
  it('says so in status once every aggregator had its turn, instead of committing for ever', async () => {
    // minPeers = 3 = every site: the round counts 3 updates, but site 2's cannot be unmasked (no shares).
    const swarm = await TestSwarm.create(3, { maxRounds: 1, size: 100, ...TIMES });
    const sites = await startSecure(swarm, [undefined, undefined, { onOut: sharesLost }]);
    const honest = sites.slice(0, 2);
    await waitFor(() => honest.every((s) => s.peer.status().stalledReason !== null), {
      timeoutMs: 60_000,
      what: 'sites 0 and 1 to report the round stalled',
    });
    for (const s of honest) {
      const st = s.peer.status();
      expect(st.phase).toBe('committing');
      expect(st.round).toBe(1);
      expect(st.lastCommit?.round).toBe(0);
      expect(st.stalledReason).toMatch(
        /^round 1: no valid commit after all 3 aggregator turns; in a secure|secure round 1 abandoned/,
      );
      expect(st.stalledSinceMs).not.toBeNull();
    }
    // Every peer, aggregator or not, ends up with the all-turns note (the aggregator's own failure notes
    // are replaced by it at the next tick once the last turn has passed).
    await waitFor(
      () =>
        honest.every((s) =>
          /no valid commit after all 3 aggregator turns/.test(s.peer.status().stalledReason ?? ''),
        ),
      { timeoutMs: 30_000, what: 'the all-turns note at sites 0 and 1' },
    );
  }, 120_000);
});
