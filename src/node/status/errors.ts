import { SwarmdError } from '../../core/index.js';

/** The status server could not start as configured (unprotected public bind, port in use, …). */
export class StatusServerError extends SwarmdError {}

/** `swarmd status` could not get a valid snapshot from the daemon. */
export class StatusFetchError extends SwarmdError {}
