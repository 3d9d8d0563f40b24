/**
 * Storage: the site's LevelDB (identity, key fingerprint, checkpoints, round log, metadata) behind the
 * `Store` interface, and portable checkpoint files. A checkpoint and its round-log entry are written in one
 * atomic batch; every read verifies hashes, so a corrupted entry is reported, never silently used.
 */
export { openStore, verifyCheckpoint } from './store.js';
export type { Store } from './store.js';
export { LogChainError, createRoundLog } from './round-log.js';
export type { DecodeCommit, LogCheck, RoundLog } from './round-log.js';
export { exportCheckpointFile, openCheckpoint, readCheckpointFile } from './file.js';
export { makeCheckpoint, type CheckpointFields } from './checkpoint.js';
export { CheckpointManifestSchema } from './manifest.js';
export type { Checkpoint, CheckpointManifest, LogEntry } from './manifest.js';
export { CheckpointCorruptError, StoreError } from './errors.js';
