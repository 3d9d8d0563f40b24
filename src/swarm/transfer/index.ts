/**
 * Transfer: the one owner of "get me update H". It holds the updates a peer has (its own, those assembled
 * from chunks, merged weights it serves) and fetches what gossip did not bring over the direct protocol,
 * asking the preferred peer first and then every connected member, with one in-flight table. Every byte it
 * hands on is hash-checked; it answers other peers' fetch requests from what it holds.
 */
export { UpdateStore, type ChunkOutcome, type HeldUpdate, type Repair } from './store.js';
export { FetchError, Transfer, type TransferDeps } from './transfer.js';
export { createFetchHandler, type ServeDeps } from './serve.js';
