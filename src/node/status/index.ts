/**
 * Status: how an operator sees a running daemon. A `StatusSource` (the daemon) answers a `StatusSnapshot`;
 * the status server serves it as JSON at `/status`, as Prometheus metrics at `/metrics` and as a dashboard
 * page at `/`; `swarmd status` fetches, validates and prints it. Also the daemon's logger and metrics.
 * Promises: snapshots carry no secrets (the schema has no field for one); the server binds to loopback
 * unless given a bearer token; `stop()` leaves no socket open; logs redact keys, PSKs and tokens.
 */
export {
  statusSnapshotSchema,
  type LastCommit,
  type MemberStatus,
  type PrivacyStatus,
  type RoundHistoryEntry,
  type StatusSnapshot,
  type StatusSource,
} from './status.js';
export { createMetrics, observeStatus, type SwarmdMetrics } from './metrics.js';
export { createStatusServer, isLoopback, type StatusServer, type StatusServerInit } from './server.js';
export { dashboardHtml, DASHBOARD_POLL_MS, PLOT_COLOURS } from './dashboard.js';
export {
  fetchStatus,
  formatAgo,
  formatPrivacy,
  formatStatusTable,
  type FetchStatusOptions,
} from './format.js';
export { createLogger, redactPaths, type LogLevel, type LoggerInit } from './logger.js';
export { StatusFetchError, StatusServerError } from './errors.js';
