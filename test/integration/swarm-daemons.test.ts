import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateModelKey, loadKeyFile, writeKeyFile } from '../../src/inr/index.js';
import {
  addMember,
  evaluateCheckpoint,
  fetchStatus,
  initSite,
  launchSite,
  loadTcga,
  planSites,
  writeRowsFiles,
  type LaunchedSite,
} from '../../src/node/index.js';
import { openCheckpoint, openStore } from '../../src/storage/index.js';
import { createSwarmPsk, writePskFile } from '../../src/swarm/index.js';
import { waitFor } from '../helpers/wait.js';

// Three real `swarmd start` processes on 127.0.0.1, configured like configs/ (ports from 0), on the bundled
// TCGA data split by patient. Every process is stopped in afterAll; every wait is bounded.
const CLASSES = ['BRCA', 'COAD', 'HNSC', 'KIRC', 'KIRP', 'LIHC', 'LUAD', 'LUSC', 'PRAD', 'STAD', 'THCA'];
const ROUNDS = 4;

describe('three swarmd daemons', () => {
  let dir: string;
  const names = ['site-a', 'site-b', 'site-c'];
  const configs: string[] = [];
  const sites = new Map<string, LaunchedSite>();
  let test: number[];
  let ds: Awaited<ReturnType<typeof loadTcga>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmd-it-'));
    ds = await loadTcga('data');
    const plan = planSites(ds, { sites: 3, seed: 42, mode: 'random' });
    test = plan.test;
    const rows = await writeRowsFiles(ds, plan, join(dir, 'rows'), names);
    await writeKeyFile(join(dir, 'site.key'), generateModelKey());
    await writePskFile(join(dir, 'swarm.psk'), createSwarmPsk());
    const swarmPath = join(dir, 'swarm.yaml');
    await writeFile(
      swarmPath,
      stringify({
        swarmId: 'it-swarm',
        pskFile: 'swarm.psk',
        members: [],
        minPeers: 3,
        rounds: ROUNDS,
        roundDeadlineMs: 60_000,
        commitTimeoutMs: 5_000,
        model: { arch: 'proteomics', classNames: CLASSES, seed: 42 },
      }),
    );
    for (const [i, name] of names.entries()) {
      const path = join(dir, `${name}.yaml`);
      await writeFile(
        path,
        stringify({
          site: name,
          dataDir: join(dir, 'db', name),
          keyFile: 'site.key',
          swarmConfig: 'swarm.yaml',
          data: { path: join(process.cwd(), 'data/tcga11_metagsca_all.csv.gz'), ignore: ['sample_type'], group: 'patient', rowsFile: rows[i] },
          listen: ['/ip4/127.0.0.1/tcp/0'],
          http: { port: 0 },
          training: { epochsPerRound: 2 },
          log: { level: 'info', pretty: false },
        }),
      );
      const r = await initSite({ configPath: path });
      await addMember(swarmPath, name, r.peerId);
      configs.push(path);
    }
  });

  afterAll(async () => {
    await Promise.all([...sites.values()].map((s) => s.stop(5000)));
    await rm(dir, { recursive: true, force: true });
  });

  async function start(i: number): Promise<LaunchedSite> {
    const first = sites.get(names[0]);
    const s = await launchSite(configs[i], { bootstrap: i === 0 || !first ? [] : first.addrs.slice(0, 1) });
    sites.set(names[i], s);
    return s;
  }
  const status = (name: string) => fetchStatus(sites.get(name)!.statusUrl, { timeoutMs: 5000 });
  /** On a failed wait, show what each daemon logged: the assertion alone says nothing about why. */
  async function explain<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      for (const [name, s] of sites) console.error(`--- ${name} log (tail)\n${s.output().slice(-3000)}`);
      throw err;
    }
  }

  it('find each other by multiaddr, run rounds and end with byte-identical merged weights', async () => {
    for (let i = 0; i < 3; i++) await start(i);
    await explain(
      waitFor(async () => (await status('site-a')).membersLive === 3, { timeoutMs: 30_000, what: 'site-a sees all three' }),
    );
    await explain(
      waitFor(async () => (await Promise.all(names.map(status))).every((s) => (s.lastCommit?.round ?? -1) >= ROUNDS), {
        timeoutMs: 240_000,
        intervalMs: 500,
        what: `round ${ROUNDS} committed everywhere`,
      }),
    );
    const finals = await Promise.all(names.map(status));
    expect(new Set(finals.map((s) => s.lastCommit!.hash)).size).toBe(1);
    expect(finals[0].lastCommit!.contributors.length).toBe(3);
    expect(JSON.stringify(finals)).not.toMatch(/psk|privateKey|"key"/i);
    await Promise.all(names.map((n) => sites.get(n)!.stop()));
    const hashes = new Set<string>();
    for (const n of names) {
      const store = await openStore(join(dir, 'db', n));
      const log = await store.getLog();
      expect(log.map((e) => e.round)).toEqual([0, ...Array.from({ length: ROUNDS }, (_, k) => k + 1)]);
      const cp = (await store.latestCheckpoint())!;
      expect(cp.manifest.round).toBe(ROUNDS);
      hashes.add(cp.manifest.tensorsHash);
      await store.close();
    }
    expect(hashes.size).toBe(1);
    const cp = await openCheckpoint(join(dir, 'db', 'site-a'));
    const key = await loadKeyFile(join(dir, 'site.key'));
    const right = evaluateCheckpoint(cp, { kind: 'key', key }, ds, test);
    const wrong = evaluateCheckpoint(cp, { kind: 'key', key: generateModelKey() }, ds, test);
    console.log(`swarm model after ${ROUNDS} rounds, held-out ${test.length}: accuracy ${(right.accuracy * 100).toFixed(1)}% (wrong key ${(wrong.accuracy * 100).toFixed(1)}%)`);
    expect(right.accuracy).toBeGreaterThan(0.85);
    expect(wrong.accuracy).toBeLessThan(right.accuracy - 0.2);
  });
});
