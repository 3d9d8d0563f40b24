import { InputError } from '../core/index.js';

/** A data file that cannot be used as it is: the message names the file, the line or column, and the fix. */
export class CsvError extends InputError {}
