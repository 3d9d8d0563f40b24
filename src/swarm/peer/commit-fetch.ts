import { namedUpdates, type SignedCommit } from '../protocol/index.js';
import { FetchError } from '../transfer/index.js';
import type { PeerConduct } from './conduct.js';
import type { PeerRoundsDeps } from './rounds-deps.js';

/*
 * Fetching the updates a pending commit names, once per update hash at a time. A commit whose updates
 * cannot be fetched while it is still pending, because its aggregator answered without it, is scored against
 * that aggregator (unfetchable-commit).
 */
export interface CommitFetchDeps {
  fetchUpdate: PeerRoundsDeps['fetchUpdate'];
  conduct: PeerConduct;
  log: PeerRoundsDeps['log'];
  /** The commit waiting for updates now, if any. */
  pending(): SignedCommit | undefined;
  round(): number;
  /** Checks the pending commit again once all its updates are held. */
  recheck(): void;
}

export class CommitFetches {
  private readonly fetching = new Set<string>();

  constructor(private readonly d: CommitFetchDeps) {}

  async fetch(updateHash: string, from: string): Promise<void> {
    if (this.fetching.has(updateHash)) return;
    const commit = this.d.pending()?.commit;
    const named = commit === undefined ? [] : namedUpdates(commit);
    const contributor = named.find((x) => x.updateHash === updateHash)?.peerId ?? from;
    this.fetching.add(updateHash);
    try {
      await this.d.fetchUpdate(updateHash, contributor, commit?.round ?? this.d.round(), [from]);
      this.d.recheck();
    } catch (err) {
      const fields = { round: commit?.round, updateHash, err };
      if (commit === undefined || this.d.pending()?.commit !== commit) {
        return this.d.log.debug(fields, 'a fetch for a commit failed after the peer moved on');
      }
      // Held against the aggregator only when it answered without the update it named: no answer (a slow,
      // loaded or restarting site) is no evidence, and the commit's turn passes on after commitTimeoutMs anyway.
      const refused = err instanceof FetchError && err.refusedBy.includes(commit.aggregator);
      this.d.log.warn({ ...fields, refused }, 'could not fetch an update a commit needs');
      if (refused) this.d.conduct.offence(commit.aggregator, 'unfetchable-commit', `round ${commit.round}`);
    } finally {
      this.fetching.delete(updateHash);
    }
  }
}
