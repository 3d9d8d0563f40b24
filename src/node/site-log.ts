import type { ModelKey } from '../inr/index.js';
import { exportCheckpointFile, type Checkpoint, type RoundLog as StoredLog } from '../storage/index.js';
import type { CommitRecord, RoundLog } from '../swarm/index.js';
import type { RoundHistory } from './status-source.js';
import type { SiteRoundWork } from './round-work.js';

/**
 * The swarm peer's round log on a site: the storage round log, each segment written with what its last
 * round produced on this site (SiteRoundWork.recordFor), then the checkpoint exported as a portable file that
 * `swarmd infer` can read while the daemon runs.
 */
export function siteRoundLog(o: {
  log: StoredLog;
  work: SiteRoundWork;
  exportPath: string;
  /** The daemon's one round history: this round's entry is recorded and saved in the same batch. */
  history: RoundHistory;
  onApplied?: (round: number, durationMs: number) => void;
  /** The model key the exported file is sealed under. */
  key: ModelKey;
  /** Numbers recorded with a model round's checkpoint beside its accuracy (privacy: the ε spent). */
  roundMetrics?: (round: number) => Record<string, number>;
}): RoundLog {
  return {
    async read(fromRound) {
      const entries = await o.log.read(fromRound);
      return entries.map((e): CommitRecord => ({ ...e, prevHash: e.prevHash ?? null }));
    },
    vote: (round, hash) => o.log.vote(round, hash),
    async append(chain, merged) {
      const last = chain[chain.length - 1];
      const payload = withMetrics(await o.work.recordFor(last.round, merged, last.hash), o.roundMetrics);
      const durationMs = o.history.applied(last.round, payload.checkpoint?.manifest.metrics ?? {});
      await o.log.append(chain, { ...payload, meta: { ...payload.meta, history: o.history.list() } });
      if (payload.checkpoint)
        await exportCheckpointFile(
          payload.checkpoint,
          o.exportPath,
          o.key,
          'set exportCheckpoint in the site config to a new file path',
        );
      o.onApplied?.(last.round, durationMs);
    },
  };
}

function withMetrics<P extends { checkpoint?: Checkpoint }>(
  payload: P,
  roundMetrics?: (round: number) => Record<string, number>,
): P {
  const cp = payload.checkpoint;
  if (cp === undefined || roundMetrics === undefined) return payload;
  if (cp.manifest.round === null) return payload;
  const metrics = { ...cp.manifest.metrics, ...roundMetrics(cp.manifest.round) };
  return { ...payload, checkpoint: { ...cp, manifest: { ...cp.manifest, metrics } } };
}
