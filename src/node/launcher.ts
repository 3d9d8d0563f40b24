import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SwarmdError } from '../core/index.js';

/** A `swarmd start` child process, as the demo and the integration tests run sites on one machine. */
export interface LaunchedSite {
  proc: ChildProcess;
  peerId: string;
  addrs: string[];
  statusUrl: string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
  /** Everything the child wrote to stderr so far (its log). */
  output(): string;
}

// From dist/ the CLI sits beside this file's folder; from the TypeScript sources (tests) use the build.
const CLI = import.meta.url.endsWith('.ts')
  ? fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url))
  : fileURLToPath(new URL('../cli.js', import.meta.url));
const READY = /^swarmd (\S+) listening on (.*); status (\S+)$/m;

export async function launchSite(
  configPath: string,
  o: {
    bootstrap?: string[];
    timeoutMs?: number;
    /**
     * The script (and its arguments) that takes `start --config … [--bootstrap …]` and prints swarmd's ready
     * line: default the swarmd CLI. A demo harness outside the product starts its sites with its own.
     */
    entry?: string[];
  } = {},
): Promise<LaunchedSite> {
  const args = [
    ...(o.entry ?? [CLI]),
    'start',
    '--config',
    configPath,
    ...(o.bootstrap?.length ? ['--bootstrap', ...o.bootstrap] : []),
  ];
  const proc = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 10_000) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(`did not start within ${o.timeoutMs ?? 60_000} ms`),
      o.timeoutMs ?? 60_000,
    );
    const fail = (why: string) => {
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(
        new SwarmdError('LAUNCH_FAILED', `swarmd start --config ${configPath} ${why}:\n${log.slice(-2000)}`),
      );
    };
    const check = () => {
      const m = READY.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    proc.stderr!.on('data', check);
    proc.once('exit', (code) => fail(`exited with code ${code}`));
  });
  return {
    proc,
    peerId: ready[1],
    addrs: ready[2].split(' '),
    statusUrl: ready[3],
    stop,
    output: () => log,
  };
}
