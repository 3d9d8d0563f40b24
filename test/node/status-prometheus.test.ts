import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMetrics,
  createStatusServer,
  type StatusServer,
  type SwarmdMetrics,
} from '../../src/node/status/index.js';
import { waitFor } from '../helpers/wait.js';

const PROMETHEUS = '/usr/bin/prometheus';
const TOKEN = 'scrape-token';
const hasPrometheus = existsSync(PROMETHEUS);
if (!hasPrometheus)
  console.warn(`skipping the Prometheus scrape test: ${PROMETHEUS} is absent (apt-get install prometheus)`);

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface PromResponse<T> {
  status: string;
  data: T;
}
type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
type Targets = { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };

describe.skipIf(!hasPrometheus)('real Prometheus scraping /metrics', () => {
  let metrics: SwarmdMetrics;
  let server: StatusServer;
  let prometheus: ChildProcess | undefined;
  let promUrl: string;
  let dir: string;
  let promLog = '';

  async function api<T>(path: string): Promise<T | undefined> {
    const res = await fetch(`${promUrl}${path}`).catch(() => undefined);
    if (!res?.ok) return undefined;
    return ((await res.json()) as PromResponse<T>).data;
  }

  async function queryValue(expr: string): Promise<string | undefined> {
    const data = await api<Vector>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
    return data?.result[0]?.value[1];
  }

  beforeAll(async () => {
    metrics = createMetrics();
    metrics.roundsCommitted.inc(7);
    metrics.bytesSent.inc({ topic: 'updates' }, 4096);
    const source = {
      status: () => {
        throw new Error('/status is not read by this test');
      },
    };
    server = createStatusServer({ source, metrics, token: TOKEN });
    const target = new URL((await server.start()).url).host;
    dir = await mkdtemp(join(tmpdir(), 'swarmd-prom-'));
    const config = [
      'global: { scrape_interval: 1s, scrape_timeout: 1s }',
      'scrape_configs:',
      '  - job_name: swarmd',
      `    authorization: { type: Bearer, credentials: ${TOKEN} }`,
      `    static_configs: [{ targets: ['${target}'] }]`,
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), config);
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      PROMETHEUS,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (d: Buffer) => (promLog = (promLog + d.toString()).slice(-4000)));
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((resolve) => prometheus?.once('exit', resolve));
      prometheus.kill('SIGTERM');
      const timer = setTimeout(() => prometheus?.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('stores the counter values the daemon set, and updates them', async () => {
    await waitFor(async () => (await queryValue('swarmd_rounds_committed_total')) === '7', {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'swarmd_rounds_committed_total = 7 in Prometheus',
    }).catch((err: Error) => {
      throw new Error(`${err.message}; prometheus log tail:\n${promLog}`);
    });
    expect(await queryValue('swarmd_bytes_sent_total{topic="updates"}')).toBe('4096');

    metrics.roundsCommitted.inc();
    await waitFor(async () => (await queryValue('swarmd_rounds_committed_total')) === '8', {
      timeoutMs: 15_000,
      intervalMs: 250,
      what: 'the next scrape to see 8',
    });
  });

  it('reports the target up, scraped with the bearer token', async () => {
    const data = await waitFor(() => api<Targets>('/api/v1/targets'), { timeoutMs: 10_000, what: 'targets' });
    expect(data.activeTargets).toHaveLength(1);
    expect(data.activeTargets[0]).toMatchObject({ health: 'up', lastError: '' });
    expect(data.activeTargets[0].scrapeUrl).toBe(`${server.url}/metrics`);
  });

  it('sees the default process metrics under the swarmd_ prefix', async () => {
    const v = await waitFor(() => queryValue('swarmd_process_resident_memory_bytes'), { timeoutMs: 10_000 });
    expect(Number(v)).toBeGreaterThan(1_000_000);
  });
});
