/**
 * Models: the tfjs side of swarmd — backend selection, the proteomics classifier and a generic MLP (with
 * INRLinear layers where configured), CSV data sets, splits, preprocessing, training and metrics. Weights
 * leave this folder only as named float32 tensors, so the swarm and the store never touch tfjs.
 */
export { BACKEND_ORDER, BackendError, parseBackendPreference, selectBackend } from './backend.js';
export type { BackendInfo, BackendName, BackendPreference } from './backend.js';
export {
  MODEL_ARCHS,
  MODEL_LOCKS,
  inrDefaults,
  ModelConfigSchema,
  InrConfigSchema,
  parseModelConfig,
  linearLayerNames,
} from './config.js';
export type { ModelArch, ModelConfig, ModelConfigInput, InrConfig, InrLock } from './config.js';
export { buildModel, createTrainer } from './build.js';
export type { InrMode } from './build.js';
export { CsvError } from './csv-error.js';
export { MAX_FEATURE_MAGNITUDE, loadColumnValues, loadCsv, parseCsv } from './csv.js';
export { parseDecimal } from './decimal.js';
export { distinctLabels, labelKey } from './labels.js';
export type { CsvOptions, Dataset, OutOfRangeCell } from './csv.js';
export { createRng, dirichlet, partitionSites, shuffle, stratifiedSplit } from './split.js';
export type { PartitionOptions, StratifiedSplitOptions } from './split.js';
export {
  alignColumns,
  applyStandardizer,
  computeFeatureStats,
  mergeFeatureStats,
  standardizerFromJSON,
  standardizerFromStats,
  standardizerToJSON,
  statsFromTensors,
  statsToTensors,
} from './preprocess.js';
export type { FeatureStats, Standardizer } from './preprocess.js';
export {
  FEATURE_TRANSFORMS,
  FeatureTransformSchema,
  assertTransformable,
  parseFeatureTransform,
  countLikeMax,
  describeCountLike,
  transformFunction,
} from './transform.js';
export type { FeatureTransform } from './transform.js';
export { describeSuspectColumns, suspectIdColumns } from './id-columns.js';
export type { SuspectColumn } from './id-columns.js';
export { accuracy, argmaxRows, binaryAuroc, macroAuroc, macroF1 } from './metrics.js';
export { TfjsTrainer } from './trainer.js';
export type { EpochInfo, LabeledData, Trainer, TrainOptions, TrainResult } from './trainer.js';
export { getNamedWeights, setNamedWeights } from './weights.js';
export { startTrainingWorker } from './worker-trainer.js';
export type { TrainingWorker, TrainingWorkerOptions } from './worker-trainer.js';
export { assertSplitsFilled, labeledRows, prepareData, score, splitSubset } from './pipeline.js';
export type { PreparedData, Scores, SplitOptions } from './pipeline.js';
