import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  formatStatusTable,
  observeStatus,
  statusSnapshotSchema,
  type StatusSnapshot,
} from '../../src/node/status/index.js';
import { RoundHistory, statusSource } from '../../src/node/status-source.js';
import type { SwarmHost, SwarmPeer } from '../../src/swarm/index.js';
import { initialRoundState, step } from '../../src/swarm/protocol/index.js';
import { PeerBook } from '../../src/swarm/peer/book.js';

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);

const lone: StatusSnapshot = {
  peerId: '12D3KooWAlpha',
  listenAddrs: [],
  backend: 'wasm',
  swarmId: 's',
  members: [{ peerId: '12D3KooWAlpha', name: 'oslo', self: true, connected: true, lastSeenMs: null }],
  membersLive: 1,
  membersTotal: 3,
  round: 371,
  roundsTotal: 500,
  finishedAfterRound: null,
  phase: 'idle',
  aggregator: null,
  lastCommit: {
    round: 370,
    hash: 'c0ffee',
    contributors: [{ peerId: '12D3KooWAlpha', samples: 100 }],
    atMs: NOW - 600_000,
    resumed: true,
  },
  waitingForPeers: { online: 1, minPeers: 3, sinceMs: NOW - 110_000 },
  stalledSinceMs: null,
  stalledReason: null,
  history: [],
  dropped: {},
  startedAtMs: NOW - 120_000,
  version: '0.1.0',
};

const line = (text: string, label: string) => text.split('\n').find((l) => l.startsWith(label));

describe('status while a restarted site waits for quorum', () => {
  it('says waiting for peers, k of minPeers N online since a clock time, in the round line', () => {
    const text = formatStatusTable(statusSnapshotSchema.parse(lone), NOW);
    expect(line(text, 'round')).toBe(
      'round       371 of 500 (waiting for peers: 1 of minPeers 3 online since 2026-11-27T11:58:10Z, 1m 50s ago)',
    );
  });

  it('shows the last commit it resumed from, marked as resumed', () => {
    const text = formatStatusTable(lone, NOW);
    expect(line(text, 'last commit')).toBe(
      'last commit round 370, 10m 0s ago (resumed from the database at start), 1 contributors, 100 samples, hash c0ffee',
    );
  });

  it('keeps the phase once the wait is over, and reads an older daemon without the field', () => {
    const older: Partial<StatusSnapshot> = { ...lone };
    delete older.waitingForPeers;
    const parsed = statusSnapshotSchema.parse({ ...older, phase: 'training' });
    expect(parsed.waitingForPeers).toBeUndefined();
    expect(line(formatStatusTable(parsed, NOW), 'round')).toBe('round       371 of 500 (training)');
  });
});

/*
 * Issue 20: with 20 sites, site-0 printed "members 20 of 20 live" (libp2p connections) and, in the same
 * output, "waiting for peers: 1 of minPeers 20 online" (hellos heard). Live now has one meaning — heard a
 * hello within the liveness window, the set the rounds count — and every view reads it from one snapshot.
 */
describe('one meaning of live across the members line, the waiting line and /metrics', () => {
  const ids = Array.from({ length: 20 }, (_, i) => `12D3KooWSite${String(i).padStart(2, '0')}`);
  const names = new Map(ids.map((id, i) => [id, `site-${i}`]));
  const cfg = {
    ...{ swarmId: 's', self: ids[0], members: ids, minPeers: 20 },
    ...{ roundDeadlineMs: 60_000, commitTimeoutMs: 10_000, merge: 'fedavg' as const },
  };

  function site() {
    let now = NOW;
    let state = initialRoundState(cfg, null);
    const book = new PeerBook({ self: ids[0], members: ids, now: () => now });
    const connected = ids.slice(1); // libp2p links to every member: what the old members line counted
    const peer = {
      status: () => book.snapshot(state, connected, false),
    } as unknown as SwarmPeer;
    const source = statusSource({
      ...{ peer, host: { peerId: ids[0], addrs: () => [] } as unknown as SwarmHost },
      ...{ backend: 'cpu', backendDevice: 'cpu', swarmId: 's', history: new RoundHistory() },
      ...{ disk: { dataDirBytes: null }, names, rounds: 5 },
    });
    const hear = (from: string, type: 'hello' | 'update-manifest', round: number) => {
      book.seen(from, { type, round });
      if (type === 'hello') state = step(state, { type: 'peer-seen', peerId: from }, now).state;
      book.quorum(state);
    };
    const wait = (ms: number) => {
      now += ms;
      for (const peerId of book.expire(5_000)) state = step(state, { type: 'peer-lost', peerId }, now).state;
      book.quorum(state);
    };
    book.quorum(state);
    return { source, hear, wait, now: () => now };
  }

  async function gauge(metrics: ReturnType<typeof createMetrics>, name: string): Promise<number> {
    const got = await metrics.registry.getSingleMetric(name)!.get();
    return got.values[0].value;
  }

  it('counts no member live that sent no hello, however many are connected, in every view', async () => {
    const s = site();
    const snap = statusSnapshotSchema.parse(s.source.status());
    expect(snap.membersLive).toBe(1);
    expect(snap.waitingForPeers?.online).toBe(1);
    expect(snap.members.filter((m) => m.live).map((m) => m.name)).toEqual(['site-0']);
    const text = formatStatusTable(snap, s.now());
    expect(line(text, 'members')).toBe('members     1 of 20 live, 19 directly connected');
    expect(line(text, 'round')).toBe(
      'round       0 of 5 (waiting for peers: 1 of minPeers 20 online since 2026-11-27T12:00:00Z, 0s ago; ' +
        'missing site-1 (never heard), site-2 (never heard), site-3 (never heard), site-4 (never heard), ' +
        'site-5 (never heard) and 14 more)',
    );
    const metrics = createMetrics();
    observeStatus(metrics, snap);
    expect(await gauge(metrics, 'swarmd_members_live')).toBe(1);
    expect(await gauge(metrics, 'swarmd_peers_connected')).toBe(19);
  });

  it('names the members still missing and what was last heard from a quiet one', async () => {
    const s = site();
    for (const id of ids.slice(1, 19)) s.hear(id, 'hello', 0); // site-19 never says hello
    s.wait(3_000);
    s.hear(ids[1], 'hello', 0);
    s.hear(ids[2], 'update-manifest', 0); // any message of a live member keeps it live
    s.wait(3_000); // the others' hellos are 6 s old: quiet (the liveness window is 5 s)
    const snap = statusSnapshotSchema.parse(s.source.status());
    const live = snap.members.filter((m) => m.live).length;
    expect([snap.membersLive, snap.waitingForPeers?.online]).toEqual([live, live]);
    expect(snap.members.filter((m) => m.live).map((m) => m.name)).toEqual(['site-0', 'site-1', 'site-2']);
    const round = line(formatStatusTable(snap, s.now()), 'round')!;
    expect(round).toContain('waiting for peers: 3 of minPeers 20 online');
    expect(round).toContain(
      'missing site-3 (quiet, last heard hello of round 0 6s ago), site-4 (quiet, last heard hello of round 0 6s ago)',
    );
    expect(round).toMatch(/and 12 more\)$/);
    const text = formatStatusTable(snap, s.now());
    expect(text).toContain(
      'site-2   12D3KooWSite02              link     live, last heard update-manifest of round 0 3s ago',
    );
    expect(text).toContain('site-19  12D3KooWSite19              link     never heard');
    const metrics = createMetrics();
    observeStatus(metrics, snap);
    expect(await gauge(metrics, 'swarmd_members_live')).toBe(3);

    for (const id of ids.slice(2)) s.hear(id, 'hello', 0);
    const all = statusSnapshotSchema.parse(s.source.status());
    expect([all.membersLive, all.waitingForPeers]).toEqual([20, null]);
    expect(line(formatStatusTable(all, s.now()), 'members')).toBe(
      'members     20 of 20 live, 19 directly connected',
    );
  });
});
