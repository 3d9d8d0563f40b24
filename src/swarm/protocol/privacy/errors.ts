import { SwarmdError } from '../../../core/index.js';

/** Codes: PRIVACY_PARAMS (an accounting or noise parameter out of range), PRIVACY_SHAPE (tensors differ). */
export class PrivacyError extends SwarmdError {}
