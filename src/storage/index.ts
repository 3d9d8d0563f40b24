/**
 * Storage: the site's LevelDB (identity, key fingerprint, checkpoints, round log, metadata) behind the
 * `Store` interface, and portable checkpoint files. Every checkpoint — weights and manifest together — is
 * sealed with AES-256-GCM under a key derived from the model key, bound to its id: without the key file a
 * copied database or file yields no weights, and a flipped bit fails authentication instead of changing
 * predictions. The peer identity is sealed the same way (its own derived key): a copied database without
 * the key file holds no signing key. The round log stays in the clear (its hashes are over the plaintext tensors). A checkpoint
 * and its round-log entries are written in one atomic batch, with retention deletions in the same batch.
 */
export { openStore } from './store.js';
export { DATABASE_MARKER, assertDatabaseFolder } from './level.js';
export type { Store, StoreInit } from './store.js';
export { LogChainError, createRoundLog } from './round-log.js';
export type { DecodeCommit, LogCheck, RoundLog } from './round-log.js';
export {
  decodeCheckpointFile,
  encodeCheckpointFile,
  checkpointOutput,
  exportCheckpointFile,
  openCheckpoint,
  readCheckpointFile,
} from './file.js';
export { migrateCheckpointFile, migrateStore } from './migrate.js';
export { migrateIdentity } from './identity.js';
export { directoryBytes, removeStaleExports } from './disk.js';
export { CheckpointManifestSchema, makeCheckpoint } from './manifest.js';
export type { Checkpoint, CheckpointFields, CheckpointManifest, LogEntry } from './manifest.js';
export { CheckpointCorruptError, CheckpointEncryptedError, StoreError } from './errors.js';
