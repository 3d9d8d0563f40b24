import type { Dataset } from '../../src/models/index.js';
import { benchSplit, type BenchSet } from './data.js';
import { runPythonBaselines, type PythonBaselines } from './python.js';
import { runSwarm, type SwarmRun } from './swarm.js';
import { trainCentralised, type CentralisedResult, type SwarmdSettings } from './swarmd.js';

export interface CaseOptions {
  seed: number;
  settings: SwarmdSettings;
  /** Also fit the MLP baseline. */
  mlp: boolean;
  /** The 3-site swarm; null: leave the swarm column out for this seed. */
  swarm: { sites: number; rounds: number } | null;
  /** Return LR's weights (the unit test checks its optimum). */
  lrWeights?: boolean;
}

/** One data set and seed: every column of the table on the same split. */
export interface CaseResult {
  seed: number;
  centralised: CentralisedResult;
  python: PythonBaselines;
  swarm: SwarmRun | null;
  seconds: { centralised: number; python: number; swarm: number };
}

export async function runCase(ds: Dataset, set: BenchSet, o: CaseOptions): Promise<CaseResult> {
  const split = benchSplit(ds, set, o.seed);
  const { prepared } = split;
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const value = await f();
    return [value, (performance.now() - t0) / 1000];
  };
  const [python, pySeconds] = await timed(() =>
    runPythonBaselines(split.baselineTrain, prepared.test, {
      seed: o.seed,
      numClasses: ds.classNames.length,
      mlp: o.mlp,
      weights: o.lrWeights,
    }),
  );
  const [centralised, cSeconds] = await timed(() => trainCentralised(ds, prepared, o.seed, o.settings));
  const swarmOptions = o.swarm;
  const [swarm, sSeconds] = swarmOptions
    ? await timed(() =>
        runSwarm(
          ds,
          set,
          {
            trainRows: [...prepared.indices.train, ...prepared.indices.val],
            test: prepared.indices.test,
            seed: o.seed,
            ...swarmOptions,
          },
          o.settings,
        ),
      )
    : [null, 0];
  return {
    seed: o.seed,
    centralised,
    python,
    swarm,
    seconds: { centralised: cSeconds, python: pySeconds, swarm: sSeconds },
  };
}

/** The first round whose merged model is within `points` of `target` (both as fractions), or null. */
export function firstRoundWithin(accuracy: number[], target: number, points = 2): number | null {
  const i = accuracy.findIndex((a) => a >= target - points / 100);
  return i < 0 ? null : i + 1;
}
