import { exportCheckpointFile, type RoundLog as StoredLog } from '../storage/index.js';
import type { CommitRecord, RoundLog } from '../swarm/index.js';
import type { SiteWork } from './site-work.js';

/**
 * The swarm peer's round log on a site: the storage round log, each segment written with what its last
 * round produced on this site (SiteWork.recordFor), then the checkpoint exported as a portable file that
 * `swarmd infer` can read while the daemon runs.
 */
export function siteRoundLog(o: { log: StoredLog; work: SiteWork; exportPath: string }): RoundLog {
  return {
    async read(fromRound) {
      const entries = await o.log.read(fromRound);
      return entries.map((e): CommitRecord => ({ ...e, prevHash: e.prevHash ?? null }));
    },
    async append(chain, merged) {
      const last = chain[chain.length - 1];
      const payload = o.work.recordFor(last.round, merged, last.hash);
      await o.log.append(chain, payload);
      if (payload.checkpoint) await exportCheckpointFile(payload.checkpoint, o.exportPath);
    },
  };
}
