import { SwarmdError } from '../core/index.js';

/** The database cannot be opened (locked by a running daemon, wrong schema, unreadable, not a swarmd one). */
export class StoreError extends SwarmdError {}
/** A stored or exported checkpoint fails its integrity check or cannot be parsed; it is never used. */
export class CheckpointCorruptError extends SwarmdError {}
/** A checkpoint was asked for without the model key it is encrypted under (code CHECKPOINT_ENCRYPTED). */
export class CheckpointEncryptedError extends SwarmdError {
  constructor(what: string) {
    super('CHECKPOINT_ENCRYPTED', `${what} is encrypted: pass --key with the swarm's key file`);
  }
}
