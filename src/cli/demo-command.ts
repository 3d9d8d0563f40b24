import { Option, type Command } from 'commander';
import { TRAINING_RANGES as R, type NumberRange } from '../core/index.js';
import { num } from './options.js';
import { node } from './parts.js';
import { reportBackend } from './report.js';

/** `swarmd demo`'s own numbers (its epochs and seed follow TRAINING_RANGES); sites are named site-a … site-z. */
const DEMO_RANGES = {
  sites: { min: 1, max: 26, integer: true },
  rounds: { min: 1, max: 1000, integer: true },
} satisfies Record<string, NumberRange>;

/** `swarmd demo`: a swarm of sites on this machine on the bundled TCGA data, and the result table. */
export function addDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run a swarm of sites on this machine on the bundled TCGA data and print the result table')
    .option('--sites <n>', 'number of sites', num(DEMO_RANGES.sites), 3)
    .option('--rounds <n>', 'swarm rounds', num(DEMO_RANGES.rounds), 6)
    .option('--epochs-per-round <n>', 'local epochs per round', num(R.epochs), 2)
    .option('--seed <n>', 'seed for the split and the models', num(R.seed), 42)
    .option('--keep-running', 'keep the sites (and the dashboard) up after the table until Ctrl-C')
    .option('--merge <method>', 'model merge: fedavg, median, trimmed-mean', 'fedavg')
    .option('--attack <name>', 'sites attack: nan, signflip, scale, alie, ipm, gaussian, labelflip, inflate')
    .option('--attackers <f>', 'how many sites (the last ones) run --attack', num(DEMO_RANGES.sites), 1)
    .addOption(new Option('--aggregation <mode>', 'plain or secure').choices(['plain', 'secure']))
    .action(
      async (o: {
        sites: number;
        rounds: number;
        epochsPerRound: number;
        seed: number;
        aggregation?: 'plain' | 'secure';
        keepRunning?: boolean;
        merge: string;
        attack?: string;
        attackers: number;
      }) => {
        const holdOpen = o.keepRunning
          ? new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
          : undefined;
        const { runDemo, parseDemoDefence } = await node();
        const defence = parseDemoDefence(o); // before the backend line: a bad --attack or --merge ends it here
        await reportBackend('auto'); // for the baselines trained in this process; each site reports its own
        await runDemo({ ...o, ...defence, holdOpen, say: (line) => console.log(line) });
      },
    );
}
