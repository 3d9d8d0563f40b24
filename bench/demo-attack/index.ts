// The polyfill must load before anything imports libp2p (Promise.withResolvers is Node 22+).
import '../../src/core/polyfill.js';
import { demoCommand } from '../../src/cli/demo-command.js';
import { runProgram } from '../../src/cli/report.js';
import { attackVariant } from './adversary.js';

/*
 * `npm run demo:attack -- --attack nan --attackers 1 --merge median [swarmd demo's flags]`: the demo with
 * attacking sites (adversary.ts). A harness, not part of swarmd: the package does not ship it.
 */
const program = demoCommand(attackVariant)
  .name('demo:attack')
  .description('swarmd demo with its last --attackers sites sending --attack instead of their updates');
runProgram(program);
