import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKeyFile } from '../../src/inr/index.js';
import { loadSiteConfig, loadSwarmConfig, swarmGenesis } from '../../src/node/index.js';
import { createRoundLog, openStore, type LogEntry, type Store } from '../../src/storage/index.js';
import {
  certify,
  commitHash,
  commitRecord,
  createCommit,
  identityFromBytes,
  peerIdOf,
  roundKind,
  signCommit,
  signWith,
  voteBytes,
  type Genesis,
  type PrivateKey,
} from '../../src/swarm/index.js';
import { assertCliBuilt, expectOneLineError, swarmdAsync } from '../helpers/cli.js';
import { createSwarmSetup, type SwarmSetup } from '../integration/swarm-setup.js';

// A round log written with the real storage and protocol code (commits signed by their aggregator and
// certified by both members' votes, in site-a's database), checked by the real CLI process; then the same log
// with one entry tampered with, three ways; then the log exported as a record and that record checked offline.
const hex = (s: string) => createHash('sha256').update(s).digest('hex');

describe('swarmd log verify', () => {
  let setup: SwarmSetup;
  let dataDir: string;
  let keys: PrivateKey[];
  let original: LogEntry[];
  let genesis: Genesis;
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
  async function commitOf(
    r: number,
    prevHash: string | null,
    o: { merged?: string; signer?: number; uncertified?: boolean } = {},
  ) {
    const ids = keys.map(peerIdOf);
    const agg = r % 2;
    const commit = createCommit({
      ...{ swarmId: 'it-swarm', round: r, prevHash, ...roundKind(r) },
      contributors: ids.map((peerId, i) => ({ peerId, updateHash: hex(`u${r}-${i}`), samples: 10 + i })),
      ...{ mergedHash: hex(o.merged ?? `m${r}`), aggregator: ids[agg], createdAt: 1_700_000_000_000 + r },
      ...(r === 0 && !o.uncertified ? { genesis } : {}),
    });
    const signed = await signCommit(commit, signWith(keys[o.signer ?? agg]));
    if (o.uncertified) return commitRecord(signed);
    const bytes = voteBytes('it-swarm', r, commitHash(commit));
    const votes = await Promise.all(
      keys.map(async (k) => ({ peerId: peerIdOf(k), signature: await signWith(k)(bytes) })),
    );
    return commitRecord(certify(signed, votes));
  }

  beforeAll(async () => {
    assertCliBuilt();
    setup = await createSwarmSetup({ sites: 2, swarm: { minPeers: 2 }, training: { epochsPerRound: 1 } });
    dataDir = (await loadSiteConfig(setup.configs[0])).dataDir;
    genesis = swarmGenesis(await loadSwarmConfig((await loadSiteConfig(setup.configs[0])).swarmConfig));
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
    expect(r.stdout).toBe(
      `OK: rounds 0..4, chain intact, 5 commits (head ${original[4].hash}), every commit certified\n`,
    );
  });

  it('exports the certified chain as a record that verifies offline against the swarm config alone', async () => {
    const out = join(setup.dir, 'record.json');
    const swarmPath = join(setup.dir, 'swarm.yaml');
    const exported = await swarmdAsync(['log', 'export', '--config', setup.configs[0], '--out', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toBe(`wrote the record of rounds 0..4 of swarm it-swarm to ${out}\n`);
    const again = await swarmdAsync(['log', 'export', '--config', setup.configs[0], '--out', out]);
    expectOneLineError(again, /exists: choose another --out, or pass --force/);
    const check = (file: string) => swarmdAsync(['log', 'verify', '--record', file, '--swarm', swarmPath]);
    const ok = await check(out);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^OK: rounds 0\.\.4 certified by a quorum of 2 of 2 members, chain intact, genesis matches/,
    );
    const record = JSON.parse(await readFile(out, 'utf8'));
    expect(record.rounds[2].commit.contributors.map((c: { samples: number }) => c.samples).sort()).toEqual([
      10, 11,
    ]);
    // One vote's signature flipped in round 3: the certificate no longer holds.
    const flipped = structuredClone(record);
    const sig = Buffer.from(flipped.rounds[3].votes[1].signature, 'base64');
    sig[5] ^= 1;
    flipped.rounds[3].votes[1].signature = sig.toString('base64');
    await writeFile(join(setup.dir, 'flipped.json'), JSON.stringify(flipped));
    const r1 = await check(join(setup.dir, 'flipped.json'));
    expect(r1.code).toBe(1);
    expect(r1.stdout).toMatch(
      /^BROKEN at round 3: certificate: the vote of \S+ does not verify \(rounds 0\.\.2 are intact\)$/m,
    );
    // Round 2 removed: round 3 does not follow.
    const removed = { ...record, rounds: record.rounds.filter((_: unknown, i: number) => i !== 2) };
    await writeFile(join(setup.dir, 'removed.json'), JSON.stringify(removed));
    const r2 = await check(join(setup.dir, 'removed.json'));
    expect(r2.code).toBe(1);
    expect(r2.stdout).toMatch(/^BROKEN at round 2: round 2 is missing \(the next entry is round 3\)/m);
    // A contributor's sample count edited in the readable record: it no longer hashes to its signed commit.
    const edited = structuredClone(record);
    edited.rounds[1].commit.contributors[0].samples = 1000;
    await writeFile(join(setup.dir, 'edited.json'), JSON.stringify(edited));
    const r3 = await check(join(setup.dir, 'edited.json'));
    expect(r3.stdout).toMatch(/^BROKEN at round 1: the commit does not hash to its commitHash \(edited\)/m);
    // Checked against a swarm config with another quorum: the genesis names the field.
    const other = join(setup.dir, 'swarm-other.yaml');
    const yaml = parseYaml(await readFile(swarmPath, 'utf8')) as Record<string, unknown>;
    await writeFile(other, stringifyYaml({ ...yaml, minPeers: 1 }));
    const r4 = await check(out).then(() => swarmdAsync(['log', 'verify', '--record', out, '--swarm', other]));
    expect(r4.code).toBe(1);
    expect(r4.stdout).toMatch(
      /^BROKEN at round 0: the chain was started under another swarm config: minPeers differs/m,
    );
  });

  it('says which rounds carry no certificate in a log written before certificates', async () => {
    const legacy: LogEntry[] = [];
    for (let r = 0; r < 3; r++)
      legacy.push(await commitOf(r, legacy.at(-1)?.hash ?? null, { uncertified: true }));
    await withStore((s) => s.writeRounds(legacy, {}));
    const r = await verify();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /^OK: rounds 0\.\.2, chain intact, 3 commits .*; rounds 0\.\.2 carry no certificate/m,
    );
    await withStore((s) => s.writeRounds(original, {}));
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
