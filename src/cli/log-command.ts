import type { Command } from 'commander';
import { InputError } from '../core/index.js';
import { node } from './parts.js';

/**
 * `swarmd log verify --config <site.yaml>`: prints OK or where the round log breaks; exit 0 or 1.
 * `swarmd log export --config <site.yaml> --out record.json`: the certified chain as a record.
 * `swarmd log verify --record record.json --swarm swarm.yaml [--checkpoint f --key k]`: checks it offline.
 */
export function addLogCommand(program: Command): void {
  const log = program
    .command('log')
    .description("check this site's round log (the certified hash chain of the swarm's commits)");
  log
    .command('verify')
    .description(
      'walk the whole round log (--config) or an exported record (--record, --swarm): rounds from 0, chained, signed, certified by a quorum; prints OK or the first break',
    )
    .option('--config <file>', 'site config (YAML); the daemon must not be running')
    .option('--record <file>', 'a record written by `swarmd log export` (needs --swarm, no key, no daemon)')
    .option('--swarm <file>', 'the swarm config the record is checked against (members, quorum, genesis)')
    .option(
      '--checkpoint <file>',
      'with --record: also check that this checkpoint is the certified model of its round',
    )
    .option('--key <file>', 'with --checkpoint: the model key the checkpoint is encrypted under')
    .action(
      async (o: { config?: string; record?: string; swarm?: string; checkpoint?: string; key?: string }) => {
        const parts = await node();
        if ((o.config === undefined) === (o.record === undefined))
          throw new InputError(
            'LOG_VERIFY_TARGET',
            'pass either --config <site config> or --record <file> --swarm <swarm config>',
          );
        if (o.record !== undefined && o.swarm === undefined)
          throw new InputError(
            'LOG_VERIFY_SWARM',
            '--record needs --swarm <swarm config>: the members and quorum it is checked against',
          );
        const verdict =
          o.record !== undefined
            ? await parts.verifyRecordFile({
                record: o.record,
                swarmPath: o.swarm!,
                checkpoint: o.checkpoint,
                keyPath: o.key,
              })
            : await parts.verifySiteLog(o.config!);
        console.log(verdict.line);
        if (!verdict.ok) process.exitCode = 1;
      },
    );
  log
    .command('export')
    .description(
      'write the certified chain (commits, certificates, contributors, merged-model hashes) as a JSON record',
    )
    .requiredOption('--config <file>', 'site config (YAML); the daemon must not be running')
    .requiredOption('--out <file>', 'where to write the record (refused if it exists, unless --force)')
    .option('--force', 'replace an existing --out file')
    .action(async (o: { config: string; out: string; force?: boolean }) => {
      console.log(await (await node()).exportRecord({ configPath: o.config, out: o.out, force: o.force }));
    });
}
