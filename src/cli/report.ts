import type { Command } from 'commander';
import { SwarmdError } from '../core/index.js';
import type { BackendInfo, EpochInfo } from '../models/index.js';
import { models, node } from './parts.js';

/* What the CLI tells the user beside a command's own output: backend, training progress, scores, failures. */

export async function reportBackend(pref: string): Promise<BackendInfo> {
  const { parseBackendPreference, selectBackend } = await models();
  const info = await selectBackend(parseBackendPreference(pref));
  printBackend(info);
  return info;
}

export function printBackend(info: BackendInfo): void {
  const skipped = info.skipped.map((s) => `${s.name} unavailable`).join(', ');
  console.error(`backend: ${info.name} on ${info.device}${skipped ? ` (${skipped})` : ''}`);
}

/** A redrawn bar on a terminal; one line per epoch otherwise (logs, CI). */
export function createProgress(): (e: EpochInfo) => void {
  return (e) => {
    const val = e.valAccuracy === null ? '' : ` val acc ${(e.valAccuracy * 100).toFixed(1)}%`;
    const line = `epoch ${e.epoch}/${e.epochs} loss ${e.loss.toFixed(4)}${val}`;
    if (!process.stderr.isTTY) return console.error(line);
    const width = 30;
    const done = Math.round((e.epoch / e.epochs) * width);
    const bar = '#'.repeat(done) + '.'.repeat(width - done);
    process.stderr.write(`\r[${bar}] ${line}   `);
  };
}

export function formatScores(s: { accuracy: number; macroF1: number; macroAuroc: number }): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  // AUROC needs positives and negatives of some class: undefined when the input holds one class only.
  const auroc = Number.isNaN(s.macroAuroc) ? 'n/a (one class in the input)' : s.macroAuroc.toFixed(3);
  return `accuracy ${pct(s.accuracy)}, macro-F1 ${pct(s.macroF1)}, macro-AUROC ${auroc}`;
}

/** An expected failure is one line saying what to do; anything else is one line and a log file with the stack. */
export async function reportFailure(err: unknown): Promise<void> {
  if (err instanceof SwarmdError) {
    console.error(`error: ${err.message}`);
    process.exitCode = 1;
    return;
  }
  process.exitCode = 70;
  const what = (err instanceof Error ? err.message || err.name : String(err)).split('\n')[0];
  const logPath = await node()
    .then(({ writeCrashLog }) => writeCrashLog(err, process.argv[2] ?? ''))
    .catch(() => null);
  const where = logPath ? `details in ${logPath}` : 'no log file could be written';
  console.error(`internal error: ${what} (${where}; please report it)`);
}

/**
 * Runs a command-line program. A failure ends the process as reportFailure says, also one outside the
 * command's promise (a stray rejection in a running daemon).
 */
export function runProgram(program: Command): void {
  const crash = (err: unknown) => void reportFailure(err).finally(() => process.exit());
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  program.parseAsync(process.argv).catch(reportFailure);
}
