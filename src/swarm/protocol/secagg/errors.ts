import { SwarmdError } from '../../../core/index.js';

/**
 * Codes: SECAGG_RANGE, SECAGG_PARAMS, SECAGG_SAMPLES, SECAGG_LENGTH, SECAGG_WIRE, SECAGG_KEY, SECAGG_SHARE,
 * SECAGG_COMMITMENT, SECAGG_REVEAL, SECAGG_TOO_FEW, SECAGG_THRESHOLD, SECAGG_ROSTER.
 */
export class SecAggError extends SwarmdError {}
