import { StatusFetchError } from './errors.js';
import {
  statusSnapshotSchema,
  type LastCommit,
  type MemberStatus,
  type PrivacyStatus,
  type StatusSnapshot,
} from './status.js';

const LABEL_WIDTH = 12;

/** `swarmd status`: the snapshot as a plain-text table; `nowMs` makes "3s ago" reproducible. */
export function formatStatusTable(s: StatusSnapshot, nowMs: number): string {
  const rows: [string, string][] = [
    ['peer', s.peerId],
    ['listen', s.listenAddrs.length > 0 ? s.listenAddrs.join(', ') : 'not listening'],
    ['swarm', s.swarmId],
    [
      'backend',
      `${s.backend}${s.backendDevice ? ` on ${s.backendDevice}` : ''} (swarmd ${s.version}, up ${formatDuration(nowMs - s.startedAtMs)})`,
    ],
    ['round', formatRound(s, nowMs)],
    [s.task && s.task.score !== 'accuracy' ? 'score' : 'accuracy', formatAccuracy(s)],
    ['aggregator', formatAggregator(s)],
    ['members', formatMembers(s)],
  ];
  if (s.privacy) rows.splice(6, 0, ['privacy', formatPrivacy(s.privacy)]);
  const lines = rows.map(([k, v]) => k.padEnd(LABEL_WIDTH) + v);
  lines.push(...memberLines(s.members, s.aggregator, nowMs));
  lines.push(...conductLines(s.members, nowMs));
  const tail: [string, string][] = [
    ['last commit', formatCommit(s.lastCommit, nowMs)],
    ['stalled', s.stalledSinceMs === null ? 'no' : formatStall(s, nowMs)],
    ['dropped', formatDrops(s.dropped)],
  ];
  // Absent from an older daemon's snapshot: then no line at all.
  if (s.dataDirBytes !== undefined) tail.push(['disk', formatDisk(s.dataDirBytes)]);
  lines.push(...tail.map(([k, v]) => k.padEnd(LABEL_WIDTH) + v));
  return lines.join('\n') + '\n';
}

function formatRound(s: StatusSnapshot, nowMs: number): string {
  if (s.finishedAfterRound !== null) {
    const why = s.privacy?.budgetReached ? `: privacy budget ε=${s.privacy.epsilon.toFixed(2)} reached` : '';
    return `finished after round ${s.finishedAfterRound}${why} (no more training; serving peers)`;
  }
  const w = s.waitingForPeers;
  const phase = w
    ? `waiting for peers: ${w.online} of minPeers ${w.minPeers} online since ${formatClock(w.sinceMs)}, ${formatAgo(w.sinceMs, nowMs)}${formatMissing(s.members, nowMs)}`
    : s.phase;
  return `${s.round}${s.roundsTotal === null ? '' : ` of ${s.roundsTotal}`} (${phase})`;
}

/** Members named in the waiting line; the rest are counted. */
const MISSING_NAMED = 5;

/** "; missing site-3 (quiet, last heard hello of round 0 2m ago), site-7 (never heard)" */
function formatMissing(members: MemberStatus[], nowMs: number): string {
  const missing = members.filter((m) => !isLive(m));
  if (missing.length === 0) return '';
  const named = missing.slice(0, MISSING_NAMED).map((m) => `${m.name ?? m.peerId} (${heardLine(m, nowMs)})`);
  const more = missing.length > MISSING_NAMED ? ` and ${missing.length - MISSING_NAMED} more` : '';
  return `; missing ${named.join(', ')}${more}`;
}

/** Older daemons sent no `live`: their only notion was the connection. */
function isLive(m: MemberStatus): boolean {
  return m.self || (m.live ?? m.connected);
}

/** "live", "quiet, last heard hello of round 3 2m ago", "never heard". */
function heardLine(m: MemberStatus, nowMs: number): string {
  const state = isLive(m) ? 'live' : m.lastSeenMs === null ? 'never heard' : 'quiet';
  if (m.lastSeenMs === null) return state;
  const what = m.lastHeard ? `${m.lastHeard.type} of round ${m.lastHeard.round} ` : '';
  return `${state}, last heard ${what}${formatAgo(m.lastSeenMs, nowMs)}`;
}

/** "18 of 20 live (heard within the liveness window), 6 directly connected" */
function formatMembers(s: StatusSnapshot): string {
  const links = s.members.filter((m) => !m.self && m.connected).length;
  return `${s.membersLive} of ${s.membersTotal} live, ${links} directly connected`;
}

/** A wall-clock time as the operator's logs show it: ISO 8601 UTC to the second. */
function formatClock(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The newest score this site measured, and on what: its own validation rows, never other sites' data. */
function formatAccuracy(s: StatusSnapshot): string {
  const name = s.task?.score ?? 'accuracy';
  const pct = (v: number) =>
    name === 'accuracy' ? `${(v * 100).toFixed(1)}%` : `${scoreLabel(name)} ${v.toFixed(3)}`;
  const merged = s.history.filter((h) => h.mergedAccuracy !== null).at(-1);
  if (merged)
    return `${pct(merged.mergedAccuracy!)} (merged model of round ${merged.round}, this site's validation split)`;
  const local = s.history.filter((h) => Number.isFinite(h.valAccuracy)).at(-1);
  if (local)
    return `${pct(local.valAccuracy)} (local model of round ${local.round}, this site's validation split)`;
  return 'none yet (measured after the first round)';
}

/**
 * "ε = 2.31 spent (δ = 1e-5) after 4 rounds, budget 8 (10 rounds); against one curious member 2.31, against 1
 * colluder(s) 2.31; σ 1, clip 0.5, noise shared by ≥ 3 sites".
 */
export function formatPrivacy(p: PrivacyStatus): string {
  const extra = p.unmaskedNotCommitted > 0 ? ` (${p.unmaskedNotCommitted} unmasked, not committed)` : '';
  const rounds = `${p.roundsCounted} round${p.roundsCounted === 1 ? '' : 's'}${extra}`;
  const budget =
    p.maxEpsilon === null
      ? 'no budget set'
      : `budget ${p.maxEpsilon} (${p.roundsAllowed} rounds)${p.budgetReached ? ' reached' : ''}`;
  return (
    `ε = ${p.epsilon.toFixed(2)} spent (δ = ${p.delta}) after ${rounds}, ${budget}; against one curious ` +
    `member ${p.epsilonCurious.toFixed(2)}, against ${p.maxColluders} colluder(s) ${p.epsilonColluders.toFixed(2)}; ` +
    `σ ${p.noiseMultiplier}, ` +
    `clip ${p.clipNorm}, noise shared by ≥ ${p.minContributors} sites`
  );
}

function formatAggregator(s: StatusSnapshot): string {
  if (s.aggregator !== null) return memberLabel(s.members, s.aggregator);
  return s.finishedAfterRound === null ? '- (picked when a round closes)' : '- (finished)';
}

/** "site-a (12D3KooW…)" where the swarm config names the member, the bare peer id otherwise. */
function memberLabel(members: MemberStatus[], peerId: string): string {
  const name = members.find((m) => m.peerId === peerId)?.name;
  return name ? `${name} (${peerId})` : peerId;
}

function memberLines(members: MemberStatus[], aggregator: string | null, nowMs: number): string[] {
  if (members.length === 0) return ['  (no members configured: check the swarm config)'];
  const nameWidth = Math.max(...members.map((m) => (m.name ?? '').length));
  const idWidth = Math.max(...members.map((m) => m.peerId.length));
  return members.map((m) => {
    const role = m.self ? 'self' : m.peerId === aggregator ? 'aggregator' : '';
    const link = m.self ? '' : m.connected ? 'link' : 'no link';
    const name = nameWidth > 0 ? `${(m.name ?? '?').padEnd(nameWidth)}  ` : '';
    const heard = m.self ? '-' : heardLine(m, nowMs);
    return `  ${name}${m.peerId.padEnd(idWidth)}  ${role.padEnd(10)}  ${link.padEnd(7)}  ${heard}`;
  });
}

/** Members whose updates were left out or who misbehaved, by name, with the reasons. */
function conductLines(members: MemberStatus[], nowMs: number): string[] {
  const counts = (r: Record<string, number> = {}) =>
    Object.keys(r)
      .sort()
      .map((k) => `${k} ${r[k]}`);
  return members.flatMap((m) => {
    const excluded = counts(m.excluded).map((x) => `excluded ${x}`);
    const all = [...excluded, ...counts(m.offences)];
    if (all.length === 0) return [];
    const ignored =
      (m.ignoredSinceMs ?? null) === null ? '' : `; ignored since ${formatAgo(m.ignoredSinceMs!, nowMs)}`;
    return [
      `${'misbehaved'.padEnd(LABEL_WIDTH)}${memberLabel(members, m.peerId)}: ${all.join(', ')}${ignored}`,
    ];
  });
}

function formatCommit(c: LastCommit | null, nowMs: number): string {
  if (c === null) return 'none yet';
  const samples = c.contributors.reduce((sum, x) => sum + x.samples, 0);
  const resumed = c.resumed === true ? ' (resumed from the database at start)' : '';
  return (
    `round ${c.round}, ${formatAgo(c.atMs, nowMs)}${resumed}, ${c.contributors.length} contributors, ` +
    `${samples} samples, hash ${c.hash}`
  );
}

function formatStall(s: StatusSnapshot, nowMs: number): string {
  return `since ${formatAgo(s.stalledSinceMs, nowMs)}: ${s.stalledReason ?? 'reason unknown'}`;
}

function formatDisk(bytes: number | null): string {
  return bytes === null ? 'not measured yet' : `${(bytes / 2 ** 20).toFixed(1)} MiB in the data directory`;
}

function formatDrops(dropped: Record<string, number>): string {
  const reasons = Object.keys(dropped).sort();
  return reasons.length === 0 ? 'none' : reasons.map((r) => `${r} ${dropped[r]}`).join(', ');
}

/** "3s ago", "5m 2s ago", "2h 5m ago", "3d ago"; "never" for null. A clock ahead of ours reads as 0s. */
export function formatAgo(atMs: number | null, nowMs: number): string {
  return atMs === null ? 'never' : `${formatDuration(nowMs - atMs)} ago`;
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86_400)}d`;
}

export interface FetchStatusOptions {
  token?: string;
  timeoutMs: number;
}

/** Asks a daemon for `/status` (appended to `url` unless already there) and validates the answer. */
export async function fetchStatus(given: string, o: FetchStatusOptions): Promise<StatusSnapshot> {
  const url = withoutCredentials(given); // what messages show: never a password or token from the URL
  const target = statusUrl(given, url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  let res: Response;
  try {
    res = await fetch(target, { headers, signal: AbortSignal.timeout(o.timeoutMs) });
  } catch (err) {
    throw unreachable(url, err, o.timeoutMs);
  }
  const body = await res.text();
  if (res.status === 401) {
    const hint =
      o.token === undefined
        ? 'pass the daemon token (--token or the site config http.token)'
        : 'the token given is wrong';
    throw new StatusFetchError(
      'STATUS_UNAUTHORIZED',
      `the swarmd daemon at ${url} requires a token: ${hint}`,
    );
  }
  if (!res.ok) {
    throw new StatusFetchError(
      'STATUS_HTTP',
      `the swarmd daemon at ${url} answered HTTP ${res.status}: ${body.slice(0, 200)}`,
    );
  }
  return parseSnapshot(url, body);
}

function statusUrl(given: string, shown: string): URL {
  const u = URL.canParse(given) ? new URL(given) : null;
  if (u?.protocol !== 'http:' && u?.protocol !== 'https:') {
    throw new StatusFetchError(
      'STATUS_URL',
      `${JSON.stringify(shown)} is not an http(s) URL: pass the daemon's status address, e.g. --url http://127.0.0.1:8101`,
    );
  }
  if (u.username !== '' || u.password !== '') {
    throw new StatusFetchError(
      'STATUS_URL_CREDENTIALS',
      `--url ${shown} holds a user name or password: a swarmd daemon takes a bearer token; pass it with --token ` +
        `(or SWARMD_TOKEN) and leave it out of the URL`,
    );
  }
  if (!u.pathname.endsWith('/status')) u.pathname = `${u.pathname.replace(/\/$/, '')}/status`;
  return u;
}

/** `url` with anything before an '@' in its authority (user, password, token) replaced by `***`. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][\w+.-]*:\/\/)?[^/?#]*@/i, '$1***@');
}

function unreachable(url: string, err: unknown, timeoutMs: number): StatusFetchError {
  if (err instanceof DOMException && err.name === 'TimeoutError') {
    return new StatusFetchError(
      'STATUS_TIMEOUT',
      `the swarmd daemon at ${url} did not answer within ${timeoutMs} ms`,
      {
        cause: err,
      },
    );
  }
  return new StatusFetchError(
    'STATUS_UNREACHABLE',
    `no swarmd daemon answers at ${url}: is it running? check the site config's http.port`,
    { cause: err },
  );
}

function parseSnapshot(url: string, body: string): StatusSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new StatusFetchError(
      'STATUS_BAD_RESPONSE',
      `the answer from ${url} is not JSON: is that a swarmd daemon?`,
      {
        cause: err,
      },
    );
  }
  const parsed = statusSnapshotSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new StatusFetchError(
      'STATUS_BAD_RESPONSE',
      `the status from ${url} does not match this swarmd's schema (different versions?): ${issues.join('; ')}`,
    );
  }
  return parsed.data;
}

/** How status names a task's score: R², ARI, … (accuracy is printed as a percentage). */
export function scoreLabel(name: string): string {
  const labels: Record<string, string> = {
    r2: 'R²',
    ari: 'ARI',
    reconstructionR2: 'reconstruction R²',
    accuracy: 'accuracy',
  };
  return labels[name] ?? name;
}
