import { SwarmdError } from '../core/index.js';

/** The database cannot be opened (locked by a running daemon, wrong schema, unreadable). */
export class StoreError extends SwarmdError {}
/** A stored or exported checkpoint fails its hash check or cannot be parsed; it is never used. */
export class CheckpointCorruptError extends SwarmdError {}
