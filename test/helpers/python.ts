import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's python3 (with python3-numpy / python3-torch from apt), the independent reference. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function hasPythonModule(module: string): boolean {
  if (!existsSync(DEBIAN_PYTHON)) return false;
  return spawnSync(DEBIAN_PYTHON, ['-c', `import ${module}`]).status === 0;
}

/**
 * Runs a Python script with `input` as JSON on stdin and returns its stdout parsed as JSON.
 * The script reads `json.load(sys.stdin)` and prints one JSON document.
 */
export function runPython<T>(script: string, input: unknown, timeoutMs = 120_000): T {
  const res = spawnSync(DEBIAN_PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`python reference failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}
