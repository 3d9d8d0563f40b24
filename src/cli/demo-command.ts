import { Command, Option } from 'commander';
import { InputError, TRAINING_RANGES as R, type NumberRange } from '../core/index.js';
import type { DemoAdversary, DemoMerge } from '../node/index.js';
import { num } from './options.js';
import { node } from './parts.js';
import { reportBackend } from './report.js';

/** `swarmd demo`'s own numbers (its epochs and seed follow TRAINING_RANGES); sites are named site-a … site-z. */
export const DEMO_RANGES = {
  sites: { min: 1, max: 26, integer: true },
  rounds: { min: 1, max: 1000, integer: true },
  dpNoise: { min: 0, max: 1000, minExclusive: true },
  dpClip: { min: 0, max: 1e6, minExclusive: true },
  dpDelta: { min: 0, max: 0.01, minExclusive: true },
  dpMaxEpsilon: { min: 0, max: 1e6, minExclusive: true },
} satisfies Record<string, NumberRange>;

/**
 * A variant of the demo: its own flags and the adversary they make. The product has none; the attack demo
 * (`npm run demo:attack`, bench/demo-attack) is one.
 */
export interface DemoVariant {
  /** Adds the variant's flags to the command. */
  options(cmd: Command): Command;
  /** The adversary the parsed flags ask for (the common flags already checked). */
  adversary(flags: { sites: number; merge: DemoMerge } & Record<string, unknown>): DemoAdversary;
}

/** `swarmd demo`: a swarm of sites on this machine on the bundled TCGA data, and the result table. */
export function addDemoCommand(program: Command): void {
  program.addCommand(demoCommand());
}

/** The demo command, with a variant's flags and adversary where given (run on its own by a harness entry). */
export function demoCommand(variant?: DemoVariant): Command {
  const cmd = new Command('demo')
    .description('run a swarm of sites on this machine on the bundled TCGA data and print the result table')
    .option('--sites <n>', 'number of sites', num(DEMO_RANGES.sites), 3)
    .option('--rounds <n>', 'swarm rounds', num(DEMO_RANGES.rounds), 6)
    .option('--epochs-per-round <n>', 'local epochs per round', num(R.epochs), 2)
    .option('--seed <n>', 'seed for the split and the models', num(R.seed), 42)
    .option('--keep-running', 'keep the sites (and the dashboard) up after the table until Ctrl-C')
    .option('--merge <method>', 'model merge: fedavg, median, trimmed-mean', 'fedavg')
    .addOption(new Option('--aggregation <mode>', 'plain or secure').choices(['plain', 'secure']))
    .option(
      '--dp-noise <sigma>',
      'differential privacy (needs --aggregation secure): noise multiplier σ',
      num(DEMO_RANGES.dpNoise),
    )
    .option(
      '--dp-clip <C>',
      'differential privacy: L2 clip norm of a site update',
      num(DEMO_RANGES.dpClip),
      1,
    )
    .option('--dp-delta <delta>', 'differential privacy: δ', num(DEMO_RANGES.dpDelta), 1e-5)
    .option(
      '--dp-max-epsilon <eps>',
      'differential privacy: stop before ε exceeds this',
      num(DEMO_RANGES.dpMaxEpsilon),
    );
  (variant?.options(cmd) ?? cmd).action(
    async (o: {
      sites: number;
      rounds: number;
      epochsPerRound: number;
      seed: number;
      aggregation?: 'plain' | 'secure';
      keepRunning?: boolean;
      merge: string;
      dpNoise?: number;
      dpClip: number;
      dpDelta: number;
      dpMaxEpsilon?: number;
    }) => {
      const holdOpen = o.keepRunning
        ? new Promise<void>((resolve) => process.once('SIGINT', () => resolve()))
        : undefined;
      const { runDemo, parseDemoMerge } = await node();
      const merge = parseDemoMerge(o.merge); // before the backend line: a bad flag ends it here
      const adversary = variant?.adversary({ ...o, merge });
      const privacy = demoPrivacy(o);
      await reportBackend('auto'); // for the baselines trained in this process; each site reports its own
      await runDemo({ ...o, merge, adversary, privacy, holdOpen, say: (line) => console.log(line) });
    },
  );
  return cmd;
}

/** The swarm config's `privacy` from the --dp-* flags (undefined without --dp-noise). */
function demoPrivacy(o: {
  aggregation?: string;
  dpNoise?: number;
  dpClip: number;
  dpDelta: number;
  dpMaxEpsilon?: number;
}) {
  if (o.dpNoise === undefined) {
    if (o.dpMaxEpsilon !== undefined) throw new InputError('DEMO_DP', '--dp-max-epsilon needs --dp-noise');
    return undefined;
  }
  if (o.aggregation !== 'secure') {
    throw new InputError(
      'DEMO_DP',
      '--dp-noise needs --aggregation secure: with plain aggregation every site sees each update with only ' +
        "its sender's share of the noise",
    );
  }
  const max = o.dpMaxEpsilon === undefined ? {} : { maxEpsilon: o.dpMaxEpsilon };
  return { clipNorm: o.dpClip, noiseMultiplier: o.dpNoise, delta: o.dpDelta, ...max };
}
