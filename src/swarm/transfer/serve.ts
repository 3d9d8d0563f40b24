import type { UpdateStore } from './store.js';
import type { PeerLog } from '../net/index.js';
import {
  decodeCommitRecord,
  type CommitRecord,
  type FetchRequest,
  type FetchResponse,
  type SignedCommit,
} from '../protocol/index.js';

/*
 * The peer's answers to direct fetch requests: chunks and updates it holds, merged weights by merged hash
 * (the last applied round and the statistics round), recent commits by hash, and the round log read from
 * the node's store. What it does not have is answered `not-found`, never an error.
 */
const MAX_LOG_COMMITS = 1024;
const MAX_LOG_BYTES = 6 * 1024 * 1024; // stays under the direct protocol's 8 MiB response limit

export interface ServeDeps {
  swarmId: string;
  members: ReadonlySet<string>;
  store: UpdateStore;
  /** Commits this peer applied recently, by commit hash. */
  commit(hash: string): SignedCommit | undefined;
  readLog(fromRound: number): Promise<CommitRecord[]>;
  log: PeerLog;
}

export function createFetchHandler(
  d: ServeDeps,
): (req: FetchRequest, from: string) => Promise<FetchResponse> {
  return async (req, from) => {
    switch (req.kind) {
      case 'chunk': {
        const bytes = d.store.chunk(req.hash);
        return bytes === undefined ? notFound(req.hash) : { kind: 'chunk', hash: req.hash, bytes };
      }
      case 'update': {
        const manifest = d.store.manifest(req.hash);
        return manifest === undefined ? notFound(req.hash) : { kind: 'update', manifest };
      }
      case 'commit': {
        const signed = d.commit(req.hash);
        return signed === undefined ? notFound(req.hash) : { kind: 'commit', signed };
      }
      case 'log': {
        const commits = await logFrom(d, req.fromRound, from);
        return commits.length === 0
          ? { kind: 'not-found', fromRound: req.fromRound }
          : { kind: 'log', commits };
      }
    }
  };
}

/** The stored log from `fromRound`, decoded, consecutive and bounded in count and size. */
async function logFrom(d: ServeDeps, fromRound: number, peer: string): Promise<SignedCommit[]> {
  const records = (await d.readLog(fromRound)).sort((a, b) => a.round - b.round);
  const out: SignedCommit[] = [];
  let bytes = 0;
  for (const r of records) {
    if (r.round !== fromRound + out.length) break; // a gap: what follows cannot be chain-checked
    const signed = decodeCommitRecord(r.bytes, d.swarmId, d.members);
    if (signed === undefined) {
      d.log.warn(
        { round: r.round, peer },
        'a stored round-log entry does not decode; serving the log up to it',
      );
      break;
    }
    bytes += r.bytes.byteLength;
    if (out.length >= MAX_LOG_COMMITS || bytes > MAX_LOG_BYTES) break;
    out.push(signed);
  }
  return out;
}

function notFound(hash: string): FetchResponse {
  return { kind: 'not-found', hash };
}
