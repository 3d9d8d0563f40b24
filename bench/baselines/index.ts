/**
 * The baseline table (issue 9): swarmd's centralised training and an in-process 3-site swarm against
 * re-implementations of scikit-learn's LogisticRegression and MLPClassifier defaults (bench/baselines/
 * baselines.py, torch + numpy), on the bundled data sets, one shared split per seed.
 */
export {
  BENCH_SETS,
  TEST_FRACTION,
  VAL_FRACTION,
  benchSplit,
  loadBenchSet,
  repoRoot,
  withoutTestRows,
} from './data.js';
export type { BenchSet, BenchSplit } from './data.js';
export { BASELINE_PYTHON, runPythonBaselines } from './python.js';
export type { PythonBaselines, PythonBaselineOptions } from './python.js';
export { SWARMD_DEFAULTS, benchKey, benchModel, trainCentralised } from './swarmd.js';
export type { CentralisedResult, SwarmdSettings } from './swarmd.js';
export { runSwarm } from './swarm.js';
export type { SwarmRun } from './swarm.js';
export { firstRoundWithin, runCase } from './case.js';
export type { CaseOptions, CaseResult } from './case.js';
export { TABLE_HEAD, mean, meanSd, tableRow } from './format.js';
