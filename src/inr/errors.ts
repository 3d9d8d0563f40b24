import { SwarmdError } from '../core/index.js';

/**
 * A key file that cannot be read, parsed or trusted, or written. `code` is one of KEY_FILE_MISSING,
 * KEY_FILE_TOO_OPEN (group or others may access it), KEY_FILE_UNREADABLE, KEY_FILE_TRUNCATED,
 * KEY_FILE_FORMAT, KEY_FILE_VERSION, KEY_FILE_CORRUPT, KEY_FILE_EXISTS, KEY_FILE_WRITE. The message names the path and never contains key bytes.
 */
export class KeyFileError extends SwarmdError {
  constructor(
    code: string,
    readonly path: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** The model key is not the one a checkpoint or swarm was trained with (code KEY_MISMATCH). */
export class KeyMismatchError extends SwarmdError {
  constructor(
    readonly actualFingerprint: string,
    readonly expectedFingerprint: string,
    context: string,
  ) {
    super(
      'KEY_MISMATCH',
      `the key file's fingerprint ${actualFingerprint} does not match ${context} (expects ${expectedFingerprint}): use the swarm's key file`,
    );
  }
}
