// The polyfill must load before anything imports libp2p (Promise.withResolvers is Node 22+).
import '../../src/core/polyfill.js';
import { Command } from 'commander';
import { addStartCommand } from '../../src/cli/start-command.js';
import { runProgram } from '../../src/cli/report.js';
import { parseAttack } from '../attacks.js';
import { attackingWork } from './attacking-work.js';

/*
 * An attacking site of the attack demo: `node dist/bench/demo-attack/site.js --attack <name> start --config
 * <site.yaml> [--bootstrap …]` runs the swarmd daemon, built with the attacking round work instead of the
 * honest one. The demo (index.ts) starts its attacking sites with this entry point; `swarmd start` cannot
 * load any of it.
 */
const program = new Command('swarmd-demo-attacker')
  .description('a swarmd site that sends poisoned updates (the attack demo only)')
  .requiredOption('--attack <name>', 'the attack this site sends (bench/attacks.ts)');
addStartCommand(program, {
  work: () => attackingWork(parseAttack(program.opts<{ attack: string }>().attack)),
});
runProgram(program);
