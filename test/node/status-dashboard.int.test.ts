import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createMetrics,
  createStatusServer,
  type StatusServer,
  type StatusSnapshot,
} from '../../src/node/status/index.js';
import { chromiumMissing, countColourPixels, launchChromium } from '../helpers/chromium.js';
import { skipIfMissing } from '../helpers/skip.js';

const NOW = Date.now();
const SELF = '12D3KooWJ4tQ2ZrNRo5kF9MvBq7xS3aYwL8cHdE1pUgVfTnX6sKi';
const PEER_B = '12D3KooWQm8vN2sZkR7yT4cXpL1bHgF9wE3dA6uJqYtV5nMiKoPr';
const PEER_C = '12D3KooWBx3Rk9TnV2mQ7pLs5dJ8hGf4cY1wZaE6uNtXqMiPoKrS';
const LOSS = [1.21, 0.86, 0.63, 0.49, 0.42, 0.38];
const VAL = [0.61, 0.72, 0.79, 0.83, 0.85, 0.86];
const MERGED = [0.64, 0.75, 0.81, 0.85, 0.87, null];

const healthy: StatusSnapshot = {
  peerId: SELF,
  listenAddrs: ['/ip4/127.0.0.1/tcp/4001'],
  backend: 'tensorflow',
  swarmId: 'hospitals-eu',
  members: [
    { peerId: SELF, name: 'site-a', self: true, connected: true, lastSeenMs: null },
    { peerId: PEER_B, name: 'site-b', self: false, connected: true, lastSeenMs: NOW - 2_000 },
    { peerId: PEER_C, name: null, self: false, connected: false, lastSeenMs: NOW - 310_000 },
  ],
  membersLive: 2,
  membersTotal: 3,
  round: 7,
  roundsTotal: 20,
  finishedAfterRound: null,
  phase: 'collecting',
  aggregator: PEER_B,
  lastCommit: {
    round: 6,
    hash: '9f2c4e1d7a5b3c8e0f6a2d4b9c1e7f3a5d8b0c2e4f6a1b3d5c7e9f0a2b4c6d8e',
    contributors: [
      { peerId: SELF, samples: 412 },
      { peerId: PEER_B, samples: 388 },
    ],
    atMs: NOW - 12_000,
  },
  stalledSinceMs: null,
  stalledReason: null,
  history: LOSS.map((trainLoss, i) => ({
    round: i + 1,
    trainLoss,
    valAccuracy: VAL[i],
    mergedAccuracy: MERGED[i],
    durationMs: 8_000 + 500 * i,
    atMs: NOW - (6 - i) * 10_000,
  })),
  dropped: { late: 3, 'bad-signature': 1 },
  startedAtMs: NOW - 3_600_000,
  version: '0.1.0',
};

const empty: StatusSnapshot = {
  ...healthy,
  members: [],
  membersLive: 0,
  membersTotal: 0,
  round: 0,
  phase: 'idle',
  aggregator: null,
  lastCommit: null,
  history: [],
  dropped: {},
};

const stalled: StatusSnapshot = {
  ...healthy,
  phase: 'stalled',
  stalledSinceMs: NOW - 45_000,
  stalledReason: 'quorum not reached: 1 of 2 updates before the deadline',
};

describe('dashboard in headless Chromium', () => {
  let browser: Browser;
  let server: StatusServer | undefined;
  let current: StatusSnapshot = healthy;

  beforeAll(async () => {
    if (chromiumMissing === undefined) browser = await launchChromium();
  });
  beforeEach((ctx) => skipIfMissing(ctx, chromiumMissing));
  afterAll(async () => {
    await browser?.close();
  });
  let pages: Page[] = [];
  let pageErrors: string[] = [];
  afterEach(async () => {
    await Promise.all(pages.map((p) => p.close()));
    await server?.stop();
    server = undefined;
    pages = [];
    const errors = pageErrors;
    pageErrors = [];
    expect(errors, 'script errors in the page').toEqual([]);
  });

  /** Opens the dashboard; every request the page makes is recorded, and any script error fails the test. */
  async function open(
    init: { token?: string; hash?: string } = {},
  ): Promise<{ page: Page; requests: string[] }> {
    server = createStatusServer({
      source: { status: () => current },
      metrics: createMetrics(),
      token: init.token,
    });
    const { url } = await server.start();
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const requests: string[] = [];
    pages.push(page);
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${url}/${init.hash ?? ''}`);
    return { page, requests };
  }

  async function rendered(page: Page): Promise<void> {
    await page.waitForFunction(() => document.documentElement.dataset.state !== undefined, undefined, {
      timeout: 10_000,
    });
  }

  it('draws both plots and the tables from six rounds of history', async () => {
    current = healthy;
    const { page, requests } = await open();
    await rendered(page);
    expect(await page.getAttribute('#loss-plot', 'data-points')).toBe('6');
    expect(await page.getAttribute('#acc-plot', 'data-points')).toBe('11');

    // docs/dashboard.png comes from a real swarm (test/integration/operator.int.test.ts); this one only has to render.
    const dir = await mkdtemp(join(tmpdir(), 'swarmd-dash-'));
    await page.screenshot({ path: join(dir, 'dashboard.png'), fullPage: true });
    await rm(dir, { recursive: true, force: true });

    const loss = await countColourPixels(page, 'loss-plot');
    const acc = await countColourPixels(page, 'acc-plot');
    expect(loss.trainLoss).toBeGreaterThan(400);
    expect(acc.valAccuracy).toBeGreaterThan(400);
    expect(acc.mergedAccuracy).toBeGreaterThan(300);
    expect(loss.valAccuracy + loss.mergedAccuracy).toBeLessThan(20);

    expect(await page.textContent('#members-count')).toBe('(2 of 3 live)');
    const rows = await page.$$eval('#members tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows[1]).toContain(`site-a${SELF} (self)`);
    expect(rows[3]).toContain(`-${PEER_C}`);
    expect(await page.textContent('#aggregator')).toBe(`site-b (${PEER_B})`);
    expect(await page.textContent('#commit')).toContain(`site-a (${SELF})412`);
    expect(await page.textContent('#round')).toBe('7 of 20');
    expect(await page.textContent('main')).toContain(
      "Accuracy per round on this site's own validation split",
    );
    expect(rows[2]).toMatch(/\(aggregator\)liveyes\d+s ago$/); // an older daemon's snapshot: live = connected
    expect(rows[3]).toMatch(/quietno5m \d+s ago$/);
    expect(await page.textContent('#commit')).toContain('Round 6');
    expect(await page.textContent('#commit')).toContain('800 samples');
    expect(await page.textContent('#drops')).toContain('bad-signature1');
    expect(await page.isVisible('#stall')).toBe(false);
    expect(requests.every((r) => r.startsWith(server!.url!))).toBe(true);
  });

  it('shows the stall banner in red once a poll sees a stalled snapshot', async () => {
    current = healthy;
    const { page } = await open();
    await rendered(page);
    // Stalled 45 s before now, not before the file loaded: on a busy machine that is over a minute ago.
    current = { ...stalled, stalledSinceMs: Date.now() - 45_000 };
    await page.waitForSelector('#stall.on', { timeout: 10_000 });
    expect(await page.textContent('#stall')).toMatch(
      /^Stalled since (\d+m )?\d+s ago: quorum not reached: 1 of 2 updates before the deadline$/,
    );
    const colour = await page.$eval('#stall', (e) => getComputedStyle(e).backgroundColor);
    expect(colour).toBe('rgb(201, 42, 42)');
    expect(await page.textContent('#phase')).toBe('stalled');
  });

  it('says the swarm finished once the last round is applied', async () => {
    current = {
      ...healthy,
      round: 21,
      roundsTotal: 20,
      finishedAfterRound: 20,
      phase: 'idle',
      aggregator: null,
    };
    const { page } = await open();
    await rendered(page);
    expect(await page.textContent('#round')).toBe('finished after round 20');
    expect(await page.textContent('#aggregator')).toBe('- (finished)');
  });

  it('shows no privacy field where it is off, and the ε spent once a poll sees it', async () => {
    current = healthy;
    const { page } = await open();
    await rendered(page);
    expect(await page.isVisible('#privacy-box')).toBe(false);
    const privacy = {
      ...{ epsilon: 7.0812, delta: 1e-5, maxEpsilon: 8, roundsCounted: 3, roundsAllowed: 2 },
      ...{ epsilonCurious: 7.0812, epsilonColluders: 9.5, maxColluders: 0, unmaskedNotCommitted: 1 },
      ...{ budgetReached: true, noiseMultiplier: 1, clipNorm: 0.5, minContributors: 3 },
    };
    current = { ...healthy, round: 3, roundsTotal: 2, finishedAfterRound: 2, aggregator: null, privacy };
    await page.waitForSelector('#privacy-box', { state: 'visible', timeout: 10_000 });
    expect(await page.textContent('#privacy')).toBe(
      'ε 7.08 (δ 0.00001) of budget 8, reached; vs one curious member 7.08, vs 0 colluder(s) 9.50; 1 sum(s) ' +
        'unmasked, not committed',
    );
  });

  it('says what is missing when nothing has happened yet', async () => {
    current = empty;
    const { page } = await open();
    await rendered(page);
    expect(await page.getAttribute('#loss-plot', 'data-points')).toBe('0');
    expect(await page.textContent('#members')).toContain('No members configured');
    expect(await page.textContent('#commit')).toBe('No round committed yet.');
    expect(await page.textContent('#drops')).toBe('Nothing dropped.');
    expect(await page.textContent('#aggregator')).toBe('- (picked when a round closes)');
    const loss = await countColourPixels(page, 'loss-plot');
    expect(loss.trainLoss).toBe(0);
  });

  it('sends the token from #token= and explains a missing one', async () => {
    current = healthy;
    const withToken = await open({ token: 'dash-token', hash: '#token=dash-token' });
    await rendered(withToken.page);
    expect(await withToken.page.textContent('#round')).toBe('7 of 20');
    await server?.stop();

    const without = await open({ token: 'dash-token' });
    await rendered(without.page);
    expect(await without.page.textContent('#error')).toContain('Unauthorized: open this page as /#token=');
  });
});
