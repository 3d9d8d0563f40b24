import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';

/** The built CLI (npm test builds dist/ first); SWARMD_CLI points the tests at another build, e.g. main's. */
export const CLI = process.env.SWARMD_CLI ?? 'dist/src/cli.js';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertCliBuilt(): void {
  if (!existsSync(CLI))
    throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it for you)`);
}

/** What a CLI run may set: its limit, folder, Node flags, user (when root) and extra environment. */
export interface RunOptions {
  timeoutMs?: number;
  cwd?: string;
  nodeArgs?: string[];
  uid?: number;
  gid?: number;
  env?: Record<string, string>;
}

/** Runs `swarmd ...args` as a real process; killed (code null) after `timeoutMs`. */
export function swarmdAsync(args: string[], o: RunOptions = {}): Promise<CliResult> {
  return nodeScriptAsync(CLI, args, o);
}

/** Runs a built script (e.g. a bench entry point) as a real process; killed (code null) after `timeoutMs`. */
export function nodeScriptAsync(script: string, args: string[], o: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(o.nodeArgs ?? []), script, ...args],
      {
        encoding: 'utf8',
        timeout: o.timeoutMs ?? 90_000,
        cwd: o.cwd,
        killSignal: 'SIGKILL',
        uid: o.uid,
        gid: o.gid,
        env: o.env ? { ...process.env, ...o.env } : undefined,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** stderr without the daemon's JSON log lines and the backend notice: what a user reads as the outcome. */
export function userLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('{') && !l.startsWith('backend: '));
}

/** Exit 1 with exactly one `error:` line matching `pattern`, and no stack frame anywhere. */
export function expectOneLineError(r: CliResult, pattern: RegExp): void {
  const lines = userLines(r.stderr);
  expect(r.code, r.stderr).toBe(1);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at .+[:(]\d+/m);
}
