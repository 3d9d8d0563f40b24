import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createLogger,
  createMetrics,
  createStatusServer,
  isLoopback,
  statusSnapshotSchema,
  StatusServerError,
  type StatusServer,
  type StatusSnapshot,
  type StatusSource,
} from '../../src/node/status/index.js';

const snapshot: StatusSnapshot = {
  peerId: '12D3KooWSelf',
  listenAddrs: ['/ip4/127.0.0.1/tcp/4001'],
  backend: 'tensorflow',
  swarmId: 'hospitals-eu',
  members: [
    { peerId: '12D3KooWSelf', name: 'site-a', self: true, connected: true, lastSeenMs: null },
    { peerId: '12D3KooWOther', name: null, self: false, connected: true, lastSeenMs: 1_700_000_000_000 },
  ],
  membersLive: 2,
  membersTotal: 2,
  round: 3,
  roundsTotal: null,
  finishedAfterRound: null,
  phase: 'collecting',
  aggregator: '12D3KooWOther',
  lastCommit: {
    round: 2,
    hash: 'ab'.repeat(32),
    contributors: [{ peerId: '12D3KooWOther', samples: 120 }],
    atMs: 1_700_000_000_000,
  },
  stalledSinceMs: null,
  stalledReason: null,
  history: [{ round: 2, trainLoss: 0.5, valAccuracy: 0.8, mergedAccuracy: 0.82, durationMs: 4000, atMs: 1 }],
  dropped: { late: 2 },
  startedAtMs: 1_699_999_000_000,
  version: '0.1.0',
};

const source: StatusSource = { status: () => snapshot };
let server: StatusServer | undefined;

afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(init: { token?: string } = {}): Promise<string> {
  server = createStatusServer({ source, metrics: createMetrics(), ...init });
  return (await server.start()).url;
}

describe('status server', () => {
  it('serves the snapshot as JSON that the schema accepts', async () => {
    const url = await start();
    const res = await fetch(`${url}/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await res.json();
    expect(statusSnapshotSchema.parse(body)).toEqual(snapshot);
    expect(body).toMatchObject({ peerId: '12D3KooWSelf', round: 3, phase: 'collecting', membersLive: 2 });
  });

  it('serves no field named like a secret', async () => {
    const url = await start();
    const text = await (await fetch(`${url}/status`)).text();
    expect(text).not.toMatch(/"[^"]*(psk|key|token|secret)[^"]*"\s*:/i);
  });

  it('answers /healthz, and JSON 404 for unknown paths and 405 for other methods', async () => {
    const url = await start();
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ ok: true });
    const missing = await fetch(`${url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toContain('/nope');
    const post = await fetch(`${url}/status`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('serves the metrics registry as Prometheus text', async () => {
    const metrics = createMetrics();
    metrics.roundsCommitted.inc(4);
    server = createStatusServer({ source, metrics });
    const { url } = await server.start();
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toBe(metrics.registry.contentType);
    const text = await res.text();
    expect(text).toContain('swarmd_rounds_committed_total 4');
    expect(text).toContain('swarmd_process_cpu_seconds_total');
  });

  it('serves the dashboard page with a policy that forbids other origins', async () => {
    const url = await start();
    const res = await fetch(`${url}/`);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('<canvas id="loss-plot">');
    expect(html).not.toMatch(/(src|href)=["']?(https?:)?\/\//);
  });

  it('requires the bearer token on data routes when one is set', async () => {
    const url = await start({ token: 's3cret-token' });
    for (const path of ['/status', '/metrics', '/healthz', '/nope']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(401);
      expect(((await res.json()) as { error: string }).error).toContain('Bearer');
    }
    expect((await fetch(`${url}/status`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${url}/status`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { peerId: string }).peerId).toBe('12D3KooWSelf');
    // The page is static and reads the token from its #fragment, so it loads without one.
    expect((await fetch(`${url}/`)).status).toBe(200);
  });

  it('refuses to bind beyond loopback without a token, telling the operator to set one', async () => {
    server = createStatusServer({ host: '0.0.0.0', source, metrics: createMetrics() });
    const err = await server.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StatusServerError);
    expect(err).toMatchObject({ code: 'STATUS_UNPROTECTED_BIND' });
    expect((err as Error).message).toContain('http.token');
    expect(server.url).toBeNull();
  });

  it('reports a port in use as a typed error', async () => {
    const url = await start();
    const other = createStatusServer({ port: Number(new URL(url).port), source, metrics: createMetrics() });
    await expect(other.start()).rejects.toMatchObject({ code: 'STATUS_LISTEN' });
  });

  it('names why it cannot listen on an address this machine lacks', async () => {
    // 203.0.113.1 is TEST-NET-3 (RFC 5737): no machine has it, so binding fails with EADDRNOTAVAIL.
    const other = createStatusServer({
      host: '203.0.113.1',
      token: 'x'.repeat(16),
      source,
      metrics: createMetrics(),
    });
    await expect(other.start()).rejects.toThrow(
      /cannot listen on 203\.0\.113\.1:0: this machine has no such address; change http\.host/,
    );
  });

  it('closes connections that are mid-request on stop', async () => {
    const url = new URL(await start());
    const socket = connect(Number(url.port), url.hostname);
    await new Promise((resolve) => socket.once('connect', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => {}); // the reset is the expected outcome; 'close' follows it
    socket.write('GET /status HTTP/1.1\r\nHost: x\r\n'); // headers never finish
    await server?.stop();
    await closed;
    expect(server?.url).toBeNull();
  });

  it('answers 500 and logs once when the source fails', async () => {
    const lines: string[] = [];
    const log = createLogger({ pretty: false, destination: { write: (l: string) => void lines.push(l) } });
    const failing: StatusSource = {
      status: () => {
        throw new Error('round state unavailable');
      },
    };
    server = createStatusServer({ source: failing, metrics: createMetrics(), log });
    const { url } = await server.start();
    const res = await fetch(`${url}/status`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error; see the daemon log' });
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ msg: 'status request failed', path: '/status' });
    expect(errors[0].err.message).toBe('round state unavailable');
  });

  it('treats only loopback hosts as loopback', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1'])
      expect(isLoopback(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.org', '127.example.org']) {
      expect(isLoopback(host), host).toBe(false);
    }
  });
});
