import type { Command } from 'commander';
import { node } from './parts.js';

/** `swarmd log verify --config <site.yaml>`: prints OK or where the round log breaks; exit 0 or 1. */
export function addLogCommand(program: Command): void {
  program
    .command('log')
    .description("check this site's round log (the hash chain of the swarm's commits)")
    .command('verify')
    .description('walk the whole round log: rounds from 0, chained, signed; prints OK or the first break')
    .requiredOption('--config <file>', 'site config (YAML); the daemon must not be running')
    .action(async (o: { config: string }) => {
      const verdict = await (await node()).verifySiteLog(o.config);
      console.log(verdict.line);
      if (!verdict.ok) process.exitCode = 1;
    });
}
