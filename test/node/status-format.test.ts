import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createMetrics,
  createStatusServer,
  fetchStatus,
  formatAgo,
  formatStatusTable,
  StatusFetchError,
  statusSnapshotSchema,
  type StatusServer,
  type StatusSnapshot,
} from '../../src/node/status/index.js';

const NOW = 1_700_000_000_000;

const stalled: StatusSnapshot = {
  peerId: '12D3KooWAlpha',
  listenAddrs: ['/ip4/127.0.0.1/tcp/4001'],
  backend: 'tensorflow',
  swarmId: 'hospitals-eu',
  members: [
    { peerId: '12D3KooWAlpha', name: 'oslo', self: true, live: true, connected: true, lastSeenMs: null },
    {
      ...{ peerId: '12D3KooWBeta', name: 'bergen', self: false, live: true, connected: true },
      ...{ lastSeenMs: NOW - 3_000, lastHeard: { type: 'hello', round: 7 } },
    },
    {
      ...{ peerId: '12D3KooWGamma', name: null, self: false, live: false, connected: false },
      ...{ lastSeenMs: NOW - 302_000, lastHeard: { type: 'update-manifest', round: 6 } },
    },
  ],
  membersLive: 2,
  membersTotal: 3,
  round: 7,
  roundsTotal: 20,
  finishedAfterRound: null,
  phase: 'stalled',
  aggregator: '12D3KooWBeta',
  lastCommit: {
    round: 6,
    hash: 'c0ffee',
    contributors: [
      { peerId: '12D3KooWAlpha', samples: 100 },
      { peerId: '12D3KooWBeta', samples: 200 },
    ],
    atMs: NOW - 45_000,
  },
  stalledSinceMs: NOW - 40_000,
  stalledReason: 'quorum not reached: 1 of 2 updates',
  history: [
    {
      round: 5,
      trainLoss: 0.4,
      valAccuracy: 0.8,
      mergedAccuracy: 0.825,
      durationMs: 9000,
      atMs: NOW - 90_000,
    },
    {
      round: 6,
      trainLoss: 0.3,
      valAccuracy: 0.85,
      mergedAccuracy: 0.8766,
      durationMs: 9000,
      atMs: NOW - 45_000,
    },
    { round: 7, trainLoss: 0.2, valAccuracy: 0.9, mergedAccuracy: null, durationMs: 0, atMs: NOW - 1_000 },
  ],
  dropped: { late: 3, 'bad-signature': 1 },
  startedAtMs: NOW - 3_725_000,
  version: '0.1.0',
};

describe('formatStatusTable', () => {
  it('prints every part of a stalled snapshot', () => {
    expect(formatStatusTable(stalled, NOW)).toBe(
      [
        'peer        12D3KooWAlpha',
        'listen      /ip4/127.0.0.1/tcp/4001',
        'swarm       hospitals-eu',
        'backend     tensorflow (swarmd 0.1.0, up 1h 2m)',
        'round       7 of 20 (stalled)',
        "accuracy    87.7% (merged model of round 6, this site's validation split)",
        'aggregator  bergen (12D3KooWBeta)',
        'members     2 of 3 live, 1 directly connected',
        '  oslo    12D3KooWAlpha  self                 -',
        '  bergen  12D3KooWBeta   aggregator  link     live, last heard hello of round 7 3s ago',
        '  ?       12D3KooWGamma              no link  quiet, last heard update-manifest of round 6 5m 2s ago',
        'last commit round 6, 45s ago, 2 contributors, 300 samples, hash c0ffee',
        'stalled     since 40s ago: quorum not reached: 1 of 2 updates',
        'dropped     bad-signature 1, late 3',
        '',
      ].join('\n'),
    );
  });

  it('says what is missing in a fresh snapshot', () => {
    const fresh: StatusSnapshot = {
      ...stalled,
      listenAddrs: [],
      members: [],
      membersLive: 0,
      membersTotal: 0,
      round: 0,
      phase: 'idle',
      aggregator: null,
      history: [],
      lastCommit: null,
      stalledSinceMs: null,
      stalledReason: null,
      dropped: {},
      startedAtMs: NOW - 2_000,
    };
    const text = formatStatusTable(fresh, NOW);
    expect(text).toContain('listen      not listening\n');
    expect(text).toContain('backend     tensorflow (swarmd 0.1.0, up 2s)\n');
    const onGpu = formatStatusTable({ ...fresh, backend: 'webgpu', backendDevice: 'nvidia hopper' }, NOW);
    expect(onGpu).toContain('backend     webgpu on nvidia hopper (swarmd 0.1.0, up 2s)\n');
    expect(text).toContain('aggregator  - (picked when a round closes)\n');
    expect(text).toContain('accuracy    none yet (measured after the first round)\n');
    expect(text).toContain(
      'members     0 of 0 live, 0 directly connected\n  (no members configured: check the swarm config)\n',
    );
    expect(text).toContain('last commit none yet\n');
    expect(text).toContain('stalled     no\n');
    expect(text).toContain('dropped     none\n');
  });

  it('prints the data directory size, says when it is not measured yet, and omits it for an older daemon', () => {
    expect(formatStatusTable({ ...stalled, dataDirBytes: 5_767_168 }, NOW)).toMatch(
      /\ndisk {8}5\.5 MiB in the data directory\n$/,
    );
    expect(formatStatusTable({ ...stalled, dataDirBytes: null }, NOW)).toContain(
      'disk        not measured yet\n',
    );
    expect(formatStatusTable(stalled, NOW)).not.toContain('disk');
  });

  it('says the swarm finished after its last round, with the final accuracy', () => {
    const done: StatusSnapshot = {
      ...stalled,
      round: 21,
      finishedAfterRound: 20,
      phase: 'idle',
      aggregator: null,
      stalledSinceMs: null,
      stalledReason: null,
      history: [
        { round: 20, trainLoss: 0.1, valAccuracy: 0.9, mergedAccuracy: 0.925, durationMs: 1, atMs: NOW },
      ],
    };
    const text = formatStatusTable(done, NOW);
    expect(text).toContain('round       finished after round 20 (no more training; serving peers)\n');
    expect(text).toContain("accuracy    92.5% (merged model of round 20, this site's validation split)\n");
    expect(text).toContain('aggregator  - (finished)\n');
  });

  it('reads a snapshot of an older daemon without names or round totals', () => {
    const old: Partial<StatusSnapshot> = { ...stalled };
    delete old.roundsTotal;
    delete old.finishedAfterRound;
    const parsed = statusSnapshotSchema.parse({
      ...old,
      members: [{ peerId: 'p', self: true, connected: true, lastSeenMs: null }],
    });
    expect(parsed.members[0].name).toBeNull();
    expect(parsed.roundsTotal).toBeNull();
    expect(parsed.finishedAfterRound).toBeNull();
  });

  it('writes ages in seconds, minutes, hours and days', () => {
    expect(formatAgo(null, NOW)).toBe('never');
    expect(formatAgo(NOW + 5_000, NOW)).toBe('0s ago');
    expect(formatAgo(NOW - 59_400, NOW)).toBe('59s ago');
    expect(formatAgo(NOW - 60_000, NOW)).toBe('1m 0s ago');
    expect(formatAgo(NOW - 7_380_000, NOW)).toBe('2h 3m ago');
    expect(formatAgo(NOW - 3 * 86_400_000, NOW)).toBe('3d ago');
  });
});

describe('fetchStatus', () => {
  let status: StatusServer | undefined;
  let raw: Server | undefined;
  afterEach(async () => {
    await status?.stop();
    raw?.closeAllConnections();
    if (raw) await new Promise((resolve) => raw?.close(resolve));
    status = raw = undefined;
  });

  async function startStatus(token?: string): Promise<string> {
    status = createStatusServer({ source: { status: () => stalled }, metrics: createMetrics(), token });
    return (await status.start()).url;
  }

  /** A server that answers every request with `body`, or never answers when `body` is null. */
  async function startRaw(body: string | null): Promise<string> {
    raw = createServer((_req, res) => {
      if (body !== null) res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => raw?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(raw.address() as AddressInfo).port}`;
  }

  it('returns the validated snapshot, with or without /status in the url', async () => {
    const url = await startStatus('t0k');
    expect(await fetchStatus(url, { token: 't0k', timeoutMs: 5000 })).toEqual(stalled);
    expect(await fetchStatus(`${url}/status`, { token: 't0k', timeoutMs: 5000 })).toEqual(stalled);
  });

  it('says no daemon answers when the port is closed', async () => {
    const url = await startRaw('{}');
    await new Promise((resolve) => raw?.close(resolve));
    raw = undefined;
    const err = await fetchStatus(url, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusFetchError);
    expect((err as Error).message).toBe(
      `no swarmd daemon answers at ${url}: is it running? check the site config's http.port`,
    );
  });

  it('hints at the token on 401', async () => {
    const url = await startStatus('t0k');
    await expect(fetchStatus(url, { timeoutMs: 5000 })).rejects.toThrow(
      /requires a token: pass the daemon token \(--token or the site config http\.token\)/,
    );
    await expect(fetchStatus(url, { token: 'bad', timeoutMs: 5000 })).rejects.toThrow(
      /the token given is wrong/,
    );
  });

  it('rejects an answer that is not JSON', async () => {
    const url = await startRaw('<html>hello</html>');
    await expect(fetchStatus(url, { timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'STATUS_BAD_RESPONSE',
      message: `the answer from ${url} is not JSON: is that a swarmd daemon?`,
    });
  });

  it('rejects JSON that is not a status snapshot, naming the fields', async () => {
    const url = await startRaw(JSON.stringify({ ...stalled, round: -1, phase: 'dancing' }));
    const err = (await fetchStatus(url, { timeoutMs: 5000 }).catch((e: unknown) => e)) as StatusFetchError;
    expect(err.code).toBe('STATUS_BAD_RESPONSE');
    expect(err.message).toContain("does not match this swarmd's schema");
    expect(err.message).toContain('round:');
    expect(err.message).toContain('phase:');
  });

  it('gives up after timeoutMs when the daemon does not answer', async () => {
    const url = await startRaw(null);
    await expect(fetchStatus(url, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'STATUS_TIMEOUT',
      message: `the swarmd daemon at ${url} did not answer within 200 ms`,
    });
  });
});
