import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LogChainError,
  createRoundLog,
  openStore,
  type DecodeCommit,
  type LogEntry,
  type Store,
} from '../../src/storage/index.js';

/*
 * The round log on a real LevelDB. A "commit" here is the JSON {round, prevHash, salt}; its hash is the
 * SHA-256 of those bytes, so `decode` can check entries the way the node's swarm decoder does.
 */
const enc = new TextEncoder();
function entry(round: number, prevHash: string | null, salt = ''): LogEntry {
  const bytes = enc.encode(JSON.stringify({ round, prevHash, salt }));
  return { round, prevHash, bytes, hash: createHash('sha256').update(bytes).digest('hex') };
}
function chain(from: number, to: number, prev: string | null, salt = ''): LogEntry[] {
  const out: LogEntry[] = [];
  for (let r = from; r <= to; r++) out.push(entry(r, out.at(-1)?.hash ?? prev, salt));
  return out;
}
const decode: DecodeCommit = (bytes) => {
  try {
    const c = JSON.parse(new TextDecoder().decode(bytes)) as { round: number; prevHash: string | null };
    return { round: c.round, prevHash: c.prevHash, hash: createHash('sha256').update(bytes).digest('hex') };
  } catch {
    return undefined;
  }
};

describe('round log', () => {
  let dir: string;
  let store: Store;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmd-log-'));
    store = await openStore(join(dir, 'db'));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('appends segments that chain on, reads them back in order and verifies the whole chain', async () => {
    const log = createRoundLog(store, { decode });
    const first = chain(0, 2, null);
    await log.append(first.slice(0, 1), { meta: { preprocessing: { ok: 1 } } });
    await log.append(first.slice(1));
    await log.append(chain(3, 5, first[2].hash)); // a catch-up segment: several rounds at once
    const all = await log.read();
    expect(all.map((e) => e.round)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await log.read(4)).map((e) => e.round)).toEqual([4, 5]);
    expect((await log.head())!.hash).toBe(all[5].hash);
    expect(await log.verify()).toEqual({ ok: true, rounds: 6, head: all[5].hash });
    expect(await store.getMeta('preprocessing')).toEqual({ ok: 1 });
  });

  it('refuses a segment that leaves a gap or does not link, and writes nothing', async () => {
    const log = createRoundLog(store);
    const base = chain(0, 1, null);
    await log.append(base);
    await expect(log.append(chain(3, 3, base[1].hash))).rejects.toThrow(/round 2 is not in the log/);
    await expect(log.append(chain(2, 2, 'f'.repeat(64)))).rejects.toThrow(LogChainError);
    const broken = chain(2, 3, base[1].hash);
    broken[1] = entry(3, 'e'.repeat(64));
    await expect(log.append(broken)).rejects.toThrow(/round 3 does not link/);
    expect((await log.read()).map((e) => e.round)).toEqual([0, 1]);
  });

  it('replaces a forked head and everything after it with the swarm chain, atomically with its checkpoint', async () => {
    const log = createRoundLog(store, { decode });
    const agreed = chain(0, 1, null);
    await log.append(agreed);
    const orphan = chain(2, 3, agreed[1].hash, 'orphan'); // this site's own commits the swarm never saw
    await log.append(orphan);
    const swarmChain = chain(2, 4, agreed[1].hash, 'swarm');
    await log.append(swarmChain);
    const hashes = (await log.read()).map((e) => e.hash);
    expect(hashes).toEqual([...agreed, ...swarmChain].map((e) => e.hash));
    expect(hashes).not.toContain(orphan[0].hash);
    expect((await log.verify()).ok).toBe(true);
  });

  it('verify names the first round that is missing, unlinked or not the commit its hashes name', async () => {
    const log = createRoundLog(store, { decode });
    const c = chain(0, 3, null);
    await store.writeRounds(c.slice(0, 2), {});
    await store.writeRounds([c[3]], {}); // a gap, as catch-up used to leave
    expect(await log.verify()).toEqual({ ok: false, round: 3, reason: 'round 2 is missing', rounds: 2 });
    await store.writeRounds([c[2], c[3]], {});
    expect((await log.verify()).ok).toBe(true);
    await store.writeRounds([{ ...c[3], bytes: entry(3, c[2].hash, 'tampered').bytes }], {});
    expect(await log.verify()).toMatchObject({ ok: false, round: 3, reason: /not the one its hashes name/ });
  });

  it('records one vote a round, keeps the first across a reopen, and votes in other rounds freely', async () => {
    const [a, b] = ['a'.repeat(64), 'b'.repeat(64)];
    const log = createRoundLog(store);
    // Two votes of one round asked at once (a late commit and the next aggregator's): the first one wins.
    expect(await Promise.all([log.vote(3, a), log.vote(3, b)])).toEqual([a, a]);
    await store.close();
    store = await openStore(join(dir, 'db'));
    const reopened = createRoundLog(store);
    expect(await reopened.vote(3, b)).toBe(a); // a crash and restart cannot make it sign twice
    expect(await reopened.vote(4, b)).toBe(b);
  });
});
