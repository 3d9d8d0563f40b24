import { expect } from 'vitest';
import { hashTensors } from '../../src/core/index.js';
import type { SwarmHost } from '../../src/swarm/index.js';
import { TestSwarm, TestWork, initialWeights, type Site, type WorkHooks } from './peer-harness.js';
import { tapHost, type Tap } from './tap.js';

/*
 * Secure swarms of real in-process peers for the secure-round tests. Site k's round-1 update is float32(i/1000 +
 * (k+1)·0.01) with k+10 samples (TestWork), so every expected merge is computed here from those numbers.
 */
/** Longer than the plain tests' deadlines: set-up and unmasking add steps, and CI cores are shared. */
export const TIMES = { roundDeadlineMs: 20_000, commitTimeoutMs: 4000 };
export const SECURE = { secure: { dropoutFraction: 0.34, graphDegree: 'all' as const } };

export function roundOneUpdate(size: number, k: number): Float32Array {
  return initialWeights(size).map((x) => x + (k + 1) * 0.01);
}

/** FedAvg of the quantised updates (2^-20 grid, round half up), float64 sums, one rounding to float32. */
export function quantisedFedAvg(size: number, ks: number[]): Float32Array {
  const total = ks.reduce((s, k) => s + k + 10, 0);
  const acc = new Float64Array(size);
  for (const k of ks) {
    roundOneUpdate(size, k).forEach((x, i) => (acc[i] += (k + 10) * Math.floor(x * 2 ** 20 + 0.5)));
  }
  return Float32Array.from(acc, (v) => v / (total * 2 ** 20));
}

/** Hosts through the given taps, meshed, then a peer per site (a custom work where given). */
export async function startSecure(
  swarm: TestSwarm,
  taps: (Tap | undefined)[] = [],
  works: (TestWork | undefined)[] = [],
  hooks: WorkHooks[] = [],
): Promise<Site[]> {
  const hosts: SwarmHost[] = [];
  for (let k = 0; k < swarm.keys.length; k++) {
    const tap = taps[k];
    hosts.push(await swarm.host(k, tap ? tapHost(swarm, tap) : undefined));
  }
  await swarm.meshReady(swarm.hosts);
  return Promise.all(
    hosts.map((host, k) =>
      swarm.start(k, {
        host,
        work: works[k],
        hooks: { beforeStats: swarm.seesAll(k), ...hooks[k] },
        init: SECURE,
      }),
    ),
  );
}

export async function stopSite(s: Site): Promise<void> {
  await s.peer.stop();
  await s.host.stop();
}

export const roundOne = (s: Site) => s.work.applied.find((a) => a.round === 1);
export const contributorsOf = (s: Site) =>
  roundOne(s)!
    .commit.contributors.map((c) => c.peerId)
    .sort();
export function expectMerged(sites: Site[], expected: Float32Array): void {
  for (const s of sites) {
    const a = roundOne(s)!;
    expect(hashTensors(a.merged)).toBe(a.commit.mergedHash);
    expect(a.commit.method).toBe('fedavg');
    expect(Buffer.from(a.merged.get('w')!.data.buffer).equals(Buffer.from(expected.buffer))).toBe(true);
  }
}
