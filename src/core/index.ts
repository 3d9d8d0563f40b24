/**
 * Core: the few types and helpers every concern shares — typed errors, the logger interface and named
 * float32 tensors (the currency between models, swarm and storage). Depends on nothing else in swarmd.
 */
export { SwarmdError, InputError } from './errors.js';
export type { Logger } from './logger.js';
export { hashTensors, littleEndianBytes, sortedNames, tensorSize, totalBytes } from './tensors.js';
export type { Tensor, NamedTensors } from './tensors.js';
export { encodeTensors, decodeTensors } from './codec.js';
