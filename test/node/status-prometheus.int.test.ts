import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createMetrics,
  createStatusServer,
  type StatusServer,
  type SwarmdMetrics,
} from '../../src/node/status/index.js';
import { prometheusMissing, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { skipIfMissing } from '../helpers/skip.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'scrape-token';
describe('real Prometheus scraping /metrics', () => {
  let metrics: SwarmdMetrics;
  let server: StatusServer;
  let prometheus: RunningPrometheus | undefined;
  const queryValue = (expr: string) => prometheus!.queryValue(expr);

  beforeAll(async () => {
    if (prometheusMissing !== undefined) return;
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
    prometheus = await startPrometheus({ target, token: TOKEN });
  });

  beforeEach((ctx) => skipIfMissing(ctx, prometheusMissing));
  afterAll(async () => {
    await prometheus?.stop();
    await server?.stop();
  });

  it('stores the counter values the daemon set, and updates them', async () => {
    await waitFor(async () => (await queryValue('swarmd_rounds_committed_total')) === '7', {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: 'swarmd_rounds_committed_total = 7 in Prometheus',
    }).catch((err: Error) => {
      throw new Error(`${err.message}; prometheus log tail:\n${prometheus!.log()}`);
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
    const data = await waitFor(() => prometheus!.targets(), { timeoutMs: 10_000, what: 'targets' });
    expect(data.activeTargets).toHaveLength(1);
    expect(data.activeTargets[0]).toMatchObject({ health: 'up', lastError: '' });
    expect(data.activeTargets[0].scrapeUrl).toBe(`${server.url}/metrics`);
  });

  it('sees the default process metrics under the swarmd_ prefix', async () => {
    const v = await waitFor(() => queryValue('swarmd_process_resident_memory_bytes'), { timeoutMs: 10_000 });
    expect(Number(v)).toBeGreaterThan(1_000_000);
  });
});
