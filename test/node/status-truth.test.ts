import { describe, expect, it } from 'vitest';
import { formatStatusTable, statusSnapshotSchema, type StatusSnapshot } from '../../src/node/status/index.js';

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
