/** Base of every error swarmd reports to a user: a stable `code` and a message that says what to do. */
export class SwarmdError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad user input (config, CSV, flags): the CLI prints its message on one line and exits with status 1. */
export class InputError extends SwarmdError {}

/** The first line of an error's message, at most 200 characters: for one-line reasons in logs and status. */
export function errorLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 200);
}
