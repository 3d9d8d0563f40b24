import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The real Prometheus server the scrape tests run; they skip, saying so, where it is not installed. */
export const PROMETHEUS = '/usr/bin/prometheus';
/** Why the scrape tests cannot run here (their skip note), or undefined when they can. */
export const prometheusMissing = existsSync(PROMETHEUS)
  ? undefined
  : `${PROMETHEUS} is absent (apt-get install prometheus)`;

type Vector = { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
export type Targets = { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };

export interface ScrapeInit {
  /** `host:port` of the endpoint to scrape (its `/metrics`). */
  target: string;
  /** Sent as `Authorization: Bearer <token>` on every scrape when set. */
  token?: string;
  scrapeIntervalS?: number;
}

export interface RunningPrometheus {
  url: string;
  /** `data` of a `/api/v1/…` answer; undefined while Prometheus is not up yet or the call failed. */
  api<T>(path: string): Promise<T | undefined>;
  /** The value of the first series of an instant query, as Prometheus prints it; undefined if none yet. */
  queryValue(expr: string): Promise<string | undefined>;
  targets(): Promise<Targets | undefined>;
  /** The tail of its stderr, to explain a failed wait. */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s), then removes its config and TSDB directory. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

function scrapeConfig(o: ScrapeInit): string {
  const interval = `${o.scrapeIntervalS ?? 1}s`;
  return [
    `global: { scrape_interval: ${interval}, scrape_timeout: ${interval} }`,
    'scrape_configs:',
    '  - job_name: swarmd',
    ...(o.token === undefined ? [] : [`    authorization: { type: Bearer, credentials: ${o.token} }`]),
    `    static_configs: [{ targets: ['${o.target}'] }]`,
  ].join('\n');
}

/** Starts Prometheus on a free loopback port with its own temp dir, scraping `target` every second. */
export async function startPrometheus(o: ScrapeInit): Promise<RunningPrometheus> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-prom-'));
  await writeFile(join(dir, 'prometheus.yml'), scrapeConfig(o));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(
    PROMETHEUS,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  let failed = false;
  const exited = new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.once('error', (err) => {
      failed = true;
      log += `\ncannot run ${PROMETHEUS}: ${err.message}`;
      resolve();
    });
  });

  async function api<T>(path: string): Promise<T | undefined> {
    const res = await fetch(`${url}${path}`).catch(() => undefined);
    if (!res?.ok) return undefined;
    return ((await res.json()) as { status: string; data: T }).data;
  }
  return {
    url,
    api,
    async queryValue(expr) {
      const data = await api<Vector>(`/api/v1/query?query=${encodeURIComponent(expr)}`);
      return data?.result[0]?.value[1];
    },
    targets: () => api<Targets>('/api/v1/targets'),
    log: () => log,
    async stop() {
      if (!failed && proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
