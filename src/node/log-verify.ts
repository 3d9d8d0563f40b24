import { createRoundLog, openStore } from '../storage/index.js';
import {
  commitSummary,
  decodeCommitRecord,
  verifyCommitSignature,
  verifyFromPeerId,
} from '../swarm/index.js';
import { loadSiteConfig, loadSwarmConfig } from './config.js';

export interface LogVerdict {
  ok: boolean;
  /** One line for the user: "OK: rounds 0..N, chain intact, M commits" or where and why the chain breaks. */
  line: string;
  /** Entries checked (the whole log when ok; the intact ones before the break otherwise). */
  rounds: number;
}

/**
 * `swarmd log verify`: walks the site's whole round log — rounds consecutive from 0, each entry linked to
 * the one before, its bytes the signed commit its hashes name, signed by its aggregator, a member. Opens the
 * database without creating anything; a running daemon holds its lock, which gives the "in use" error.
 */
export async function verifySiteLog(configPath: string): Promise<LogVerdict> {
  const site = await loadSiteConfig(configPath);
  const swarm = await loadSwarmConfig(site.swarmConfig);
  const members = new Set(swarm.members.map((m) => m.peerId));
  const store = await openStore(site.dataDir, { mustExist: true });
  try {
    const log = createRoundLog(store, {
      decode: (bytes) => commitSummary(bytes, swarm.swarmId, members),
    });
    const check = await log.verify();
    if (!check.ok) return broken(check.round, check.reason, check.rounds);
    const entries = await log.read(0);
    for (const e of entries) {
      const signed = decodeCommitRecord(e.bytes, swarm.swarmId, members)!;
      if (!(await verifyCommitSignature(signed, verifyFromPeerId)))
        return broken(
          e.round,
          `the signature of aggregator ${signed.commit.aggregator} does not verify`,
          e.round,
        );
    }
    if (entries.length === 0)
      return {
        ok: true,
        rounds: 0,
        line: `OK: the round log of ${site.dataDir} is empty (nothing committed yet)`,
      };
    const last = entries.length - 1;
    return {
      ok: true,
      rounds: entries.length,
      line: `OK: rounds 0..${last}, chain intact, ${entries.length} commits (head ${check.head})`,
    };
  } finally {
    await store.close();
  }
}

function broken(round: number, reason: string, intact: number): LogVerdict {
  const before = intact === 0 ? 'no round before it is intact' : `rounds 0..${intact - 1} are intact`;
  return { ok: false, rounds: intact, line: `BROKEN at round ${round}: ${reason} (${before})` };
}
