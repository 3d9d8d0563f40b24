// `npm run bench`: every benchmark, each printing ratios measured side by side in this one run.
import '../src/core/polyfill.js';
import { runTrainSpeed } from './train-speed.js';

await runTrainSpeed();
