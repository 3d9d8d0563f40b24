import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_ORDER, splitSubset } from '../../src/models/index.js';
import { launchSite, type LaunchedSite } from '../../src/node/index.js';
import { statusSnapshotSchema, type StatusSnapshot } from '../../src/node/status/index.js';
import { chromiumMissing, countColourPixels, launchChromium } from '../helpers/chromium.js';
import { prometheusMissing, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { skipIfMissing } from '../helpers/skip.js';
import { waitFor } from '../helpers/wait.js';
import { CLASSES, createSwarmSetup, explainFailure, type SwarmSetup } from './swarm-setup.js';

// What an operator sees of a real three-site swarm once it has finished: /status at every site, the
// `swarmd status` command, a real Prometheus scraping /metrics and the dashboard in a real browser. The
// daemons keep serving after their last round, so every check runs against live processes.
const ROUNDS = 3;
const VAL_FRACTION = 0.15; // the site config's training.valFraction default
const SPLIT_SEED = 42; // the site config's training.seed default
const CLI = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url));
const run = promisify(execFile);

describe('an operator watching a finished three-site swarm', () => {
  let setup: SwarmSetup;
  const sites = new Map<string, LaunchedSite>();
  let prometheus: RunningPrometheus | undefined;
  let browser: Browser | undefined;

  const site = (name: string) => sites.get(name)!;
  async function rawStatus(name: string): Promise<{ body: string; snapshot: StatusSnapshot }> {
    const res = await fetch(`${site(name).statusUrl}/status`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const body = await res.text();
    return { body, snapshot: statusSnapshotSchema.parse(JSON.parse(body)) };
  }
  const status = async (name: string) => (await rawStatus(name)).snapshot;
  const explain = <T>(p: Promise<T>) => explainFailure(sites, p);
  /** The rows a site trains on, computed here from its rows file: its share minus the local validation split. */
  async function expectedTrainRows(name: string): Promise<{ rows: number; train: number }> {
    const { ds } = setup;
    const wanted = new Set(
      (await readFile(join(setup.dir, 'rows', `${name}.txt`), 'utf8')).split('\n').filter(Boolean),
    );
    const rows = ds.ids.flatMap((id, i) => (wanted.has(id) ? [i] : []));
    const { train } = splitSubset(ds, rows, VAL_FRACTION, SPLIT_SEED, ds.meta.patient);
    return { rows: rows.length, train: train.length };
  }

  let launchedAt = 0;

  beforeAll(async () => {
    launchedAt = Date.now();
    setup = await createSwarmSetup({
      sites: 3,
      swarm: { minPeers: 3, rounds: ROUNDS, roundDeadlineMs: 60_000, commitTimeoutMs: 5_000 },
      training: { epochsPerRound: 1 },
    });
    for (const [i, name] of setup.names.entries()) {
      const first = sites.get(setup.names[0]);
      sites.set(
        name,
        await launchSite(setup.configs[i], { bootstrap: first ? first.addrs.slice(0, 1) : [] }),
      );
    }
    await explain(
      waitFor(
        async () =>
          (await Promise.all(setup.names.map(status))).every((s) => (s.lastCommit?.round ?? -1) >= ROUNDS),
        {
          timeoutMs: 240_000,
          intervalMs: 500,
          what: `round ${ROUNDS} committed everywhere`,
        },
      ),
    );
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await prometheus?.stop();
    await Promise.all([...sites.values()].map((s) => s.stop(5000)));
    if (setup) await rm(setup.dir, { recursive: true, force: true });
  });

  it('serves at every site a /status that agrees with the swarm and carries no secret', async () => {
    const { names } = setup;
    const ids = names.map((n) => site(n).peerId);
    const expected = new Map<string, { rows: number; train: number }>();
    expect(setup.ds.classNames).toEqual(CLASSES); // the daemons encode labels in this order too
    for (const n of names) expected.set(site(n).peerId, await expectedTrainRows(n));
    const keyB64 = (JSON.parse(await readFile(join(setup.dir, 'site.key'), 'utf8')) as { key: string }).key;
    const pskHex = (await readFile(join(setup.dir, 'swarm.psk'), 'utf8')).trim().split('\n').at(-1)!;
    expect(keyB64.length).toBeGreaterThan(20);
    expect(pskHex).toMatch(/^[0-9a-f]{64}$/i);

    const seen: StatusSnapshot[] = [];
    for (const name of names) {
      const before = Date.now();
      const { body, snapshot: s } = await rawStatus(name);
      const after = Date.now();
      const me = site(name).peerId;
      expect(s.peerId).toBe(me);
      expect(s.listenAddrs.length).toBeGreaterThan(0);
      for (const a of s.listenAddrs)
        expect(a).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${me}$`));
      expect(BACKEND_ORDER).toContain(s.backend);
      expect(s.swarmId).toBe('it-swarm');
      expect(s.membersTotal).toBe(3);
      expect(s.members.map((m) => m.peerId).sort()).toEqual([...ids].sort());
      // Names come from the swarm config's members (written by init --add-to-swarm), mapped onto peer ids here.
      for (const m of s.members) expect(site(m.name!).peerId).toBe(m.peerId);
      expect(s.roundsTotal).toBe(ROUNDS);
      expect(s.finishedAfterRound).toBe(ROUNDS);
      // Sites b and c only dial site-a; each hears the other's hellos through site-a's gossip, so every site
      // counts all three live (membersLive counts `live`, hellos heard, never libp2p connections).
      const hub = site('site-a').peerId;
      expect(s.membersLive).toBe(s.members.filter((m) => m.live).length);
      expect(s.membersLive).toBe(3);
      for (const m of s.members) {
        expect(m.self).toBe(m.peerId === me);
        if (m.self || me === hub || m.peerId === hub) expect(m.connected).toBe(true);
        expect(m.lastSeenMs).not.toBeNull();
        // Self reads as seen "now" (PeerBook.snapshot); the others were heard after the sites launched.
        if (m.self) expect(m.lastSeenMs).toBeGreaterThanOrEqual(before);
        else expect(m.lastSeenMs).toBeGreaterThan(launchedAt);
        expect(m.lastSeenMs).toBeLessThanOrEqual(after);
      }
      expect(s.round).toBeGreaterThanOrEqual(ROUNDS);
      expect(s.phase).toBe('idle'); // finished: serving only
      expect(s.aggregator).toBeNull();
      const c = s.lastCommit!;
      expect(c.round).toBe(ROUNDS);
      expect(c.contributors.map((x) => x.peerId).sort()).toEqual([...ids].sort());
      for (const x of c.contributors) {
        const e = expected.get(x.peerId)!;
        expect(Number.isInteger(x.samples) && x.samples > 0).toBe(true);
        expect(x.samples).toBeLessThan(e.rows); // the validation split never leaves the site
        expect(x.samples).toBe(e.train);
      }
      expect(s.history.map((h) => h.round)).toEqual(Array.from({ length: ROUNDS }, (_, k) => k + 1));
      for (const h of s.history) {
        expect(Number.isFinite(h.trainLoss) && h.trainLoss > 0).toBe(true);
        expect(h.valAccuracy).toBeGreaterThanOrEqual(0);
        expect(h.valAccuracy).toBeLessThanOrEqual(1);
        expect(h.mergedAccuracy).not.toBeNull();
        expect(h.mergedAccuracy).toBeGreaterThanOrEqual(0);
        expect(h.mergedAccuracy).toBeLessThanOrEqual(1);
      }
      expect(s.stalledSinceMs).toBeNull();
      expect(s.stalledReason).toBeNull();
      // Peer ids are random base58 and may spell "psk" (one did): look for the word outside them.
      const scrubbed = ids.reduce((b, id) => b.split(id).join('<peer>'), body);
      expect(scrubbed).not.toMatch(/psk|privateKey/i);
      expect(body).not.toContain(keyB64);
      expect(body.toLowerCase()).not.toContain(pskHex.toLowerCase());
      seen.push(s);
    }
    expect(new Set(seen.map((s) => s.lastCommit!.hash)).size).toBe(1);
    const sums = seen.map((s) => s.lastCommit!.contributors.reduce((n, x) => n + x.samples, 0));
    const trainTotal = [...expected.values()].reduce((n, e) => n + e.train, 0);
    expect(sums).toEqual([trainTotal, trainTotal, trainTotal]);
  });

  it('`swarmd status` prints every member and the last commit, and --json matches /status', async () => {
    const url = site('site-a').statusUrl;
    const table = await run(process.execPath, [CLI, 'status', '--url', url], { timeout: 30_000 });
    const s = await status('site-a');
    for (const n of setup.names) expect(table.stdout).toMatch(new RegExp(`^  ${n} +${site(n).peerId} `, 'm'));
    expect(table.stdout).toMatch(new RegExp(`^round +finished after round ${ROUNDS} `, 'm'));
    const merged = s.history.at(-1)!.mergedAccuracy!;
    expect(table.stdout).toContain(
      `accuracy    ${(merged * 100).toFixed(1)}% (merged model of round ${ROUNDS}, this site's validation split)`,
    );
    const samples = s.lastCommit!.contributors.reduce((n, x) => n + x.samples, 0);
    expect(table.stdout).toMatch(
      new RegExp(
        `^last commit +round ${ROUNDS}, \\d+s ago, 3 contributors, ${samples} samples, hash ${s.lastCommit!.hash}$`,
        'm',
      ),
    );
    expect(table.stdout).toMatch(/^members +3 of 3 live, [1-2] directly connected$/m);
    expect(table.stdout).toMatch(/^stalled +no$/m);

    const json = await run(process.execPath, [CLI, 'status', '--url', url, '--json'], { timeout: 30_000 });
    const after = await status('site-a');
    // lastSeenMs and lastHeard move with every message between the two requests; everything else holds still.
    const still = (x: StatusSnapshot) => ({
      ...x,
      members: x.members.map((m) => ({ ...m, lastSeenMs: 0, lastHeard: null })),
    });
    expect(still(statusSnapshotSchema.parse(JSON.parse(json.stdout)))).toEqual(still(after));
  });

  it('is scraped by a real Prometheus: rounds, peers, target up', async (ctx) => {
    skipIfMissing(ctx, prometheusMissing);
    const a = site('site-a');
    const s = await status('site-a');
    prometheus = await startPrometheus({ target: new URL(a.statusUrl).host });
    const p = prometheus;
    // Every applied commit emits round-committed (PeerCommits.applyNow → PeerBook.committed), the statistics
    // round 0 included, and wireMetrics counts each: a site that applied rounds 0..ROUNDS counts ROUNDS + 1.
    await waitFor(async () => (await p.queryValue('swarmd_rounds_committed_total')) === String(ROUNDS + 1), {
      timeoutMs: 30_000,
      intervalMs: 250,
      what: `swarmd_rounds_committed_total = ${ROUNDS + 1} in Prometheus`,
    }).catch(async (err: Error) => {
      const v = await p.queryValue('swarmd_rounds_committed_total');
      throw new Error(`${err.message} (it has ${v}); prometheus log tail:\n${p.log()}`);
    });
    expect(await p.queryValue('swarmd_round')).toBe(String(ROUNDS));
    // Durations are timed from the start of local training: the statistics round (0) trains nothing.
    expect(await p.queryValue('swarmd_round_duration_seconds_count')).toBe(String(ROUNDS));
    expect(Number(await p.queryValue('swarmd_peers_connected'))).toBeGreaterThanOrEqual(2);
    expect(await p.queryValue('swarmd_members_live')).toBe('3'); // the members line's count, set at scrape
    const last = s.history.at(-1)!;
    expect(Number(await p.queryValue('swarmd_train_loss'))).toBeCloseTo(last.trainLoss, 6);
    expect(Number(await p.queryValue('swarmd_val_accuracy'))).toBeCloseTo(last.valAccuracy, 6);
    expect(Number(await p.queryValue('sum(swarmd_bytes_sent_total{topic="updates"})'))).toBeGreaterThan(0);
    const targets = (await p.targets())!;
    expect(targets.activeTargets).toHaveLength(1);
    expect(targets.activeTargets[0]).toMatchObject({
      health: 'up',
      lastError: '',
      scrapeUrl: `${a.statusUrl}/metrics`,
    });
  });

  it('draws the real curves and members on the dashboard, with no stall banner', async (ctx) => {
    skipIfMissing(ctx, chromiumMissing);
    browser = await launchChromium();
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const s = await status('site-a');
    await page.goto(`${site('site-a').statusUrl}/`);
    await page.waitForFunction(() => document.documentElement.dataset.state === 'ok', undefined, {
      timeout: 15_000,
    });
    expect(await page.getAttribute('#loss-plot', 'data-points')).toBe(String(ROUNDS));
    expect(await page.getAttribute('#acc-plot', 'data-points')).toBe(String(2 * ROUNDS));

    const loss = await countColourPixels(page, 'loss-plot');
    const acc = await countColourPixels(page, 'acc-plot');
    expect(loss.trainLoss).toBeGreaterThan(400);
    // Merged is drawn over validation; where the two accuracies coincide only its line shows whole.
    expect(acc.mergedAccuracy).toBeGreaterThan(300);
    expect(acc.valAccuracy).toBeGreaterThan(0);
    expect(loss.valAccuracy + loss.mergedAccuracy).toBeLessThan(20);

    expect(await page.textContent('#members-count')).toBe('(3 of 3 live)');
    const rows = await page.$$eval('#members tr', (trs) => trs.slice(1).map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(3);
    // state, link, last heard: site-a (self) is live; it is directly connected to both others and hears them
    for (const r of rows) expect(r).toMatch(/live(--|yes.* \d+s ago)$/);
    for (const n of setup.names)
      expect(rows.filter((r) => r.startsWith(`${n}${site(n).peerId}`))).toHaveLength(1);
    expect(rows.filter((r) => r.includes(`${site('site-a').peerId} (self)`))).toHaveLength(1);
    expect(await page.textContent('#commit')).toContain(`Round ${ROUNDS}`);
    expect(await page.textContent('#commit')).toContain(s.lastCommit!.hash);
    expect(await page.isVisible('#stall')).toBe(false);
    expect(await page.isVisible('#error')).toBe(false);

    const dir =
      process.env.SWARMD_UPDATE_SCREENSHOT === '1' ? 'docs' : await mkdtemp(join(tmpdir(), 'swarmd-dash-'));
    await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
    if (dir !== 'docs') await rm(dir, { recursive: true, force: true });
    await page.close();
    expect(errors, 'script errors in the page').toEqual([]);
  });
});
