import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's python3 (with python3-numpy / python3-torch from apt), the independent reference. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

const IMPORT_TIMEOUT_MS = 60_000;
const missing = new Map<string, string | undefined>();

/**
 * Why a reference check that needs `module` (or just python3) cannot run here — the missing interpreter,
 * or the failed import with its stderr — or undefined when it can. A test skips with this as its note:
 * `ctx.skip(reason !== undefined, reason)`.
 */
export function pythonMissing(module?: string): string | undefined {
  const key = module ?? '';
  if (!missing.has(key)) missing.set(key, probe(module));
  return missing.get(key);
}

function probe(module: string | undefined): string | undefined {
  const apt = `apt-get install python3${module ? ` python3-${module}` : ''}`;
  if (!existsSync(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} is absent (${apt})`;
  const code = module ? `import ${module}` : 'pass';
  const res = spawnSync(DEBIAN_PYTHON, ['-c', code], { encoding: 'utf8', timeout: IMPORT_TIMEOUT_MS });
  if (res.error) return `cannot run ${DEBIAN_PYTHON} -c '${code}': ${res.error.message}`;
  if (res.status === 0) return undefined;
  const how = res.status === null ? `killed by ${res.signal}` : `exit ${res.status}`;
  return `${DEBIAN_PYTHON} -c '${code}' failed (${how}; ${apt}): ${res.stderr.trim()}`;
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
  if (res.error) throw new Error(`cannot run the python reference ${DEBIAN_PYTHON}: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`python reference failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}
