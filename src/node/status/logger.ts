import pino from 'pino';
import pinoPretty from 'pino-pretty';

export type LogLevel = pino.LevelWithSilent;

export interface LoggerInit {
  /** Default `info`. */
  level?: LogLevel;
  /** `auto` (default): human-readable when stderr is a terminal, JSON lines otherwise. */
  pretty?: boolean | 'auto';
  /** Where lines go; default stderr (stdout stays free for command output). */
  destination?: pino.DestinationStream;
}

/** Field names whose values never reach a log line, at any depth up to four levels. */
const SECRET_FIELDS = ['key', 'psk', 'privateKey', 'token', 'secret', 'password', 'authorization'];
const REDACT_DEPTH = 4;

export function redactPaths(): string[] {
  const paths: string[] = [];
  for (const name of SECRET_FIELDS) {
    for (let depth = 0; depth < REDACT_DEPTH; depth++) paths.push(`${'*.'.repeat(depth)}${name}`);
  }
  return paths;
}

/** The one logger of a daemon; pass it (or a `child`) to every part instead of importing it. */
export function createLogger(init: LoggerInit = {}): pino.Logger {
  const pretty =
    init.pretty === 'auto' || init.pretty === undefined ? process.stderr.isTTY === true : init.pretty;
  const options: pino.LoggerOptions = {
    level: init.level ?? 'info',
    redact: { paths: redactPaths(), censor: '[redacted]' },
  };
  return pino(options, pretty ? prettyStream(init.destination) : (init.destination ?? pino.destination(2)));
}

/** pino-pretty formatting in-process and synchronously: no worker thread to outlive `stop()` or lose lines. */
function prettyStream(destination: pino.DestinationStream | undefined): pino.DestinationStream {
  const prettify = pinoPretty.prettyFactory({
    colorize: destination === undefined && process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
  });
  const out = destination ?? pino.destination(2);
  return { write: (line: string) => out.write(prettify(line)) };
}
