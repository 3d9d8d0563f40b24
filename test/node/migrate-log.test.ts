import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { writeKeyFile } from '../../src/inr/index.js';
import { migrateCheckpoints } from '../../src/node/index.js';
import { createRoundLog, openStore, type LogEntry } from '../../src/storage/index.js';
import {
  commitHash,
  createCommit,
  decodeCommitRecord,
  decodeMessage,
  generateIdentity,
  peerIdOf,
  roundKind,
  signCommit,
  signWith,
} from '../../src/swarm/index.js';
import { keyOf, useTempDir } from '../storage/fixtures.js';

// A round log as protocol 1 wrote it (commit messages with v: 1, no certificates), upgraded by `swarmd
// migrate --db`: the same chain (hashes unchanged), now entries of protocol 2 that carry no certificate.
const dir = useTempDir('migrate-log');
const packr = new Packr({ useRecords: false });

describe('swarmd migrate of a round log from before certificates', () => {
  it('rewrites protocol-1 entries as uncertified protocol-2 entries with the same hashes, once', async () => {
    const identity = await generateIdentity();
    const self = peerIdOf(identity);
    const db = join(dir(), 'db');
    const keyPath = join(dir(), 'site.key');
    await writeKeyFile(keyPath, keyOf('right'));
    const entries: LogEntry[] = [];
    for (let round = 0; round < 3; round++) {
      const commit = createCommit({
        ...{ swarmId: 's', round, prevHash: entries.at(-1)?.hash ?? null, ...roundKind(round) },
        contributors: [{ peerId: self, updateHash: 'a'.repeat(64), samples: 5 }],
        ...{ mergedHash: 'b'.repeat(64), aggregator: self, createdAt: 1 },
      });
      const body = await signCommit(commit, signWith(identity));
      const bytes = packr.pack({ v: 1, type: 'commit', swarmId: 's', from: self, round, body });
      entries.push({ round, hash: commitHash(commit), prevHash: commit.prevHash, bytes });
    }
    const store = await openStore(db);
    await createRoundLog(store).append(entries);
    await store.close();
    // Before: a live decoder refuses the old version; the log's reader still reads it.
    const ctx = { swarmId: 's', members: new Set([self]), maxBytes: 1 << 20 };
    expect(decodeMessage(entries[1].bytes, ctx)).toMatchObject({ ok: false, reason: 'unknown-version' });

    expect(await migrateCheckpoints({ db, keyPath })).toBe(
      `database ${db}: rewrote 3 round-log entries of protocol 1 as protocol 2 (uncertified: written before certificates)`,
    );
    const after = await openStore(db);
    const log = await after.getLog(0);
    await after.close();
    expect(log.map((e) => e.hash)).toEqual(entries.map((e) => e.hash));
    for (const e of log) {
      const r = decodeMessage(e.bytes, ctx);
      expect(r.ok).toBe(true);
      expect(decodeCommitRecord(e.bytes, 's', new Set([self]))?.certificate).toBeUndefined();
    }
    expect(await migrateCheckpoints({ db, keyPath })).toBe(`database ${db} needed no migration`);
  });
});
