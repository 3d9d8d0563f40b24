import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import type { Logger } from '../../core/index.js';
import { dashboardHtml } from './dashboard.js';
import { StatusServerError } from './errors.js';
import { observeStatus, type SwarmdMetrics } from './metrics.js';
import type { StatusSource } from './status.js';

export interface StatusServerInit {
  /** Default 127.0.0.1. Anything beyond loopback requires `token`. */
  host?: string;
  /** 0 (default) picks a free port; read the result from `url`. */
  port?: number;
  /** When set, every route requires `Authorization: Bearer <token>`. */
  token?: string;
  source: StatusSource;
  metrics: Pick<SwarmdMetrics, 'registry' | 'membersLive' | 'peersConnected'>;
  log?: Logger;
}

export interface StatusServer {
  start(): Promise<{ url: string }>;
  stop(): Promise<void>;
  /** `http://host:port` once started, null before. */
  readonly url: string | null;
}

type Route = (res: ServerResponse) => Promise<void> | void;

/** The daemon's HTTP face: `/status` JSON, `/metrics` for Prometheus, `/` a dashboard, `/healthz`. */
export function createStatusServer(init: StatusServerInit): StatusServer {
  const host = init.host ?? '127.0.0.1';
  const port = init.port ?? 0;
  const checkToken = init.token === undefined ? undefined : bearerChecker(init.token);
  const routes = new Map<string, Route>([
    ['/status', (res) => sendJson(res, 200, init.source.status())],
    [
      '/metrics',
      async (res) => {
        refreshGauges();
        send(res, 200, init.metrics.registry.contentType, await init.metrics.registry.metrics());
      },
    ],
    ['/', (res) => sendDashboard(res)],
    ['/healthz', (res) => sendJson(res, 200, { ok: true })],
  ]);
  // The member gauges mirror /status at scrape time; the other metrics must still be served if it fails.
  const refreshGauges = () => {
    try {
      observeStatus(init.metrics, init.source.status());
    } catch (err) {
      init.log?.warn({ err }, 'the member gauges kept their last value: the status could not be read');
    }
  };
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0];
    // The page itself is static and holds no data; it reads the token from its #fragment for its requests.
    if (checkToken && path !== '/' && !checkToken(req.headers.authorization)) {
      res.setHeader('www-authenticate', 'Bearer realm="swarmd"');
      return sendJson(res, 401, {
        error: 'unauthorized: send Authorization: Bearer <token> (the http.token)',
      });
    }
    const route = routes.get(path);
    if (!route) return sendJson(res, 404, { error: `not found: ${path}`, routes: [...routes.keys()] });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendJson(res, 405, { error: `method ${req.method ?? ''} not allowed` });
    }
    await route(res);
  };

  let server: Server | null = null;
  let url: string | null = null;
  return {
    get url() {
      return url;
    },
    async start() {
      if (url) return { url };
      if (!isLoopback(host) && init.token === undefined) {
        throw new StatusServerError(
          'STATUS_UNPROTECTED_BIND',
          `refusing to serve status on ${host} without a token: set http.token in the site config ` +
            `(or bind http.host to 127.0.0.1)`,
        );
      }
      server = createServer((req, res) => {
        handle(req, res).catch((err: unknown) => {
          init.log?.error({ err, path: req.url }, 'status request failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'internal error; see the daemon log' });
          else res.destroy();
        });
      });
      url = await listen(server, host, port);
      init.log?.info({ url, auth: init.token !== undefined }, 'status server listening');
      return { url };
    },
    async stop() {
      const s = server;
      server = null;
      url = null;
      if (!s) return;
      const closed = new Promise<void>((resolve) => s.close(() => resolve()));
      s.closeAllConnections();
      await closed;
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const hints: Record<string, string> = {
        EADDRINUSE: 'another process holds it; change http.port',
        EACCES: 'permission denied (ports below 1024 need privileges); change http.port',
        EADDRNOTAVAIL: 'this machine has no such address; change http.host',
        ENOTFOUND: 'no such host name; change http.host',
      };
      const hint = `: ${(err.code && hints[err.code]) ?? err.message}`;
      reject(
        new StatusServerError('STATUS_LISTEN', `cannot listen on ${host}:${port}${hint}`, { cause: err }),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve(`http://${h}:${addr.port}`);
    });
  });
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** Compares digests so that neither the token's content nor its length leaks through timing. */
function bearerChecker(token: string): (header: string | undefined) => boolean {
  const expected = createHash('sha256').update(token).digest();
  return (header) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    return match !== null && timingSafeEqual(given, expected);
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body));
}

/** The page may only talk back to this server: no other origin, no external resource. */
const DASHBOARD_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; " +
  "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function sendDashboard(res: ServerResponse): void {
  res.setHeader('content-security-policy', DASHBOARD_CSP);
  send(res, 200, 'text/html; charset=utf-8', dashboardHtml());
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
