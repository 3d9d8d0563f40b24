import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../src/inr/index.js';
import { loadSiteConfig } from '../../src/node/index.js';
import { createRoundLog, openStore, type LogEntry, type Store } from '../../src/storage/index.js';
import {
  commitRecord,
  createCommit,
  identityFromBytes,
  peerIdOf,
  roundKind,
  signCommit,
  signWith,
  type PrivateKey,
} from '../../src/swarm/index.js';
import { assertCliBuilt, expectOneLineError, swarmdAsync } from '../helpers/cli.js';
import { createSwarmSetup, type SwarmSetup } from '../integration/swarm-setup.js';

// A round log written with the real storage and protocol code (signed commits in site-a's database),
// checked by the real CLI process; then the same log with one entry tampered with, three ways.
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('swarmd log verify', () => {
  let setup: SwarmSetup;
  let dataDir: string;
  let keys: PrivateKey[];
  let original: LogEntry[];
  const verify = () => swarmdAsync(['log', 'verify', '--config', setup.configs[0]], { timeoutMs: 60_000 });

  async function withStore<T>(f: (s: Store) => Promise<T>): Promise<T> {
    const store = await openStore(dataDir);
    try {
      return await f(store);
    } finally {
      await store.close();
    }
  }

  /** Round r's commit, aggregated by site r mod 2, chained onto prevHash. */
  async function commitOf(r: number, prevHash: string | null, o: { merged?: string; signer?: number } = {}) {
    const ids = keys.map(peerIdOf);
    const agg = r % 2;
    const commit = createCommit({
      ...{ swarmId: 'it-swarm', round: r, prevHash, ...roundKind(r) },
      contributors: ids.map((peerId, i) => ({ peerId, updateHash: hex(`u${r}-${i}`), samples: 10 + i })),
      ...{ mergedHash: hex(o.merged ?? `m${r}`), aggregator: ids[agg], createdAt: 1_700_000_000_000 + r },
    });
    return commitRecord(await signCommit(commit, signWith(keys[o.signer ?? agg])));
  }

  beforeAll(async () => {
    assertCliBuilt();
    setup = await createSwarmSetup({ sites: 2, swarm: { minPeers: 2 }, training: { epochsPerRound: 1 } });
    dataDir = (await loadSiteConfig(setup.configs[0])).dataDir;
    keys = [];
    for (const c of setup.configs) {
      const site = await loadSiteConfig(c);
      const store = await openStore(site.dataDir, { key: await loadKeyFile(site.keyFile) });
      keys.push(identityFromBytes((await store.getIdentity())!));
      await store.close();
    }
    original = [];
    for (let r = 0; r < 5; r++) original.push(await commitOf(r, original.at(-1)?.hash ?? null));
    await withStore((s) => createRoundLog(s).append(original));
  });

  afterAll(() => rm(setup.dir, { recursive: true, force: true }));

  it('says OK with the rounds and commits of an intact log', async () => {
    const r = await verify();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`OK: rounds 0..4, chain intact, 5 commits (head ${original[4].hash})\n`);
  });

  it('names the round whose stored commit is not the one its hashes name', async () => {
    const forged = await commitOf(2, original[1].hash, { merged: 'forged' });
    await withStore((s) =>
      s.writeRounds([{ ...original[2], bytes: forged.bytes }, ...original.slice(3)], {}),
    );
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^BROKEN at round 2: the stored commit is not the one its hashes name \(rounds 0\.\.1 are intact\)$/m,
    );
  });

  it('names a commit signed by a key that is not its aggregator', async () => {
    const c = await commitOf(3, original[2].hash, { signer: 0 }); // round 3's aggregator is site 1
    await withStore((s) => s.writeRounds([...original.slice(2, 3), c, original[4]], {}));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BROKEN at round 3: the signature of aggregator \S+ does not verify/m);
  });

  it('names a missing round (a gap)', async () => {
    await withStore((s) => s.writeRounds([original[1], ...original.slice(3)], {}));
    const r = await verify();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^BROKEN at round 3: round 2 is missing \(rounds 0\.\.1 are intact\)$/m);
  });

  it('refuses, with the "in use" error, while another process holds the database', async () => {
    await withStore(async () => expectOneLineError(await verify(), /is in use by another process/));
  });
});
