import { createHook } from 'node:async_hooks';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_CHUNK_BYTES, type SwarmHost } from '../../src/swarm/index.js';
import { TestSwarm, stopAll } from './peer-harness.js';

afterEach(stopAll);

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Timers created by swarmd's own code (not libp2p's) that are still alive, with where they were made. */
function trackOwnTimers() {
  const live = new Map<number, string>();
  const hook = createHook({
    init(id, type) {
      const stack = new Error().stack ?? '';
      const own = stack.split('\n').find((l) => l.includes(SRC) && !l.includes('node_modules'));
      if (type === 'Timeout' && own !== undefined) live.set(id, own.trim());
    },
    destroy: (id) => live.delete(id),
  }).enable();
  return {
    async alive(): Promise<string[]> {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r)); // destroy hooks run later
      return [...live.values()];
    },
    stop: () => hook.disable(),
  };
}

/** Timers, sockets and servers this process holds now (what would keep it alive). */
function handles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('swarm peer stop', () => {
  it('ends every fetch, timer and dial when stopped mid-transfer: no handle outlives the peers', async () => {
    const before = handles();
    const timers = trackOwnTimers();
    // ~3 MB updates are pulled chunk by chunk over the direct protocol; site 1's chunk requests hang until
    // their signal aborts, as a slow peer's would.
    const swarm = await TestSwarm.create(2, { size: Math.ceil((3 * MAX_CHUNK_BYTES) / 4) });
    let requests = 0;
    let aborted = 0;
    let pulling: () => void = () => {};
    const inTransfer = new Promise<void>((resolve) => (pulling = resolve));
    const hanging = (h: SwarmHost): SwarmHost => ({
      ...h,
      request: (_peerId, _bytes, options) => {
        requests++;
        pulling();
        return new Promise<Uint8Array>((_, reject) => {
          const timer = setTimeout(() => reject(new Error('test: no answer')), 60_000);
          options.signal?.addEventListener('abort', () => {
            clearTimeout(timer);
            aborted++;
            reject(options.signal!.reason as Error);
          });
        });
      },
    });
    const sites = await swarm.startAll({ wraps: [(h) => h, hanging] });
    await inTransfer;

    for (const s of [...sites].reverse()) {
      await s.peer.stop();
      await s.host.stop();
    }
    // stop() did not wait for the 60 s request, it aborted it: every request it made was aborted.
    expect(sites[1].work.trained.length).toBeLessThanOrEqual(1);
    expect(aborted).toBeGreaterThan(0);
    expect(aborted).toBe(requests);
    expect(await timers.alive()).toEqual([]);
    timers.stop();
    const after = handles();
    for (const kind of ['TCPSocketWrap', 'TCPServerWrap']) {
      expect({ kind, count: after[kind] ?? 0 }).toEqual({ kind, count: before[kind] ?? 0 });
    }
  });
});
