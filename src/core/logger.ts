/**
 * The logger every part receives (a pino logger satisfies it): structured fields first, then a message.
 * Parts take it as a component instead of importing a singleton, so tests can pass a silent or recording one.
 */
export interface Logger {
  debug(fields: object, msg?: string): void;
  info(fields: object, msg?: string): void;
  warn(fields: object, msg?: string): void;
  error(fields: object, msg?: string): void;
}
