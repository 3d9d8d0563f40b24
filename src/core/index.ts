/**
 * Core: the few types and helpers every concern shares — typed errors, named float32 tensors (the currency
 * between models, swarm and storage), numeric ranges for flags and configs, and the one reader and writer of
 * owner-only secret files, the one rule for what swarmd may write (ownership.ts), and the logger
 * interface. Depends on nothing else in swarmd.
 */
export { SwarmdError, InputError, errorLine } from './errors.js';
export type { Logger } from './logger.js';
export { hashTensors, littleEndianBytes, sortedNames, tensorSize, totalBytes } from './tensors.js';
export type { Tensor, NamedTensors } from './tensors.js';
export { encodeTensors, decodeTensors } from './codec.js';
export { describeRange, inRange, parseInRange, rangeSchema } from './range.js';
export type { NumberRange } from './range.js';
export { LINEAR_LEARNING_RATE, TRAINING_DEFAULTS, TRAINING_RANGES, defaultLearningRate } from './ranges.js';
export {
  PRIVATE_DIR_MODE,
  SecretFileError,
  assertPrivateDir,
  readSecretFile,
  fsErrorReason,
  writeSecretFile,
} from './secret-file.js';
export { OwnershipError, checkFolder, claimFolder, placeOutput, writeOutput } from './ownership.js';
export type { FolderClaim, NamedPath, OutputFile, OutputPlace } from './ownership.js';
export type { SecretLabel, WriteSecretFileOptions } from './secret-file.js';
