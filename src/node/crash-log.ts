import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { writeSecretFile } from '../core/index.js';

/**
 * Writes an unexpected error with its stack (and causes) to a file of its own in the temp folder and returns
 * the path, so the user sees one line and a maintainer gets the details. Only the command name is recorded,
 * never the arguments: they may hold a token.
 */
export async function writeCrashLog(err: unknown, command: string, dir = tmpdir()): Promise<string> {
  const stamp = new Date().toISOString().replace(/[-:.]/g, '');
  const path = join(dir, `swarmd-crash-${stamp}-${process.pid}.log`);
  const text = [
    `swarmd ${command} failed at ${new Date().toISOString()} (node ${process.version}, ${process.platform})`,
    inspect(err, { depth: 6 }),
    '',
  ].join('\n');
  await writeSecretFile(path, text); // owner-only: a stack may quote paths and values
  return path;
}
