// `npm run bench`: every benchmark, each printing ratios measured side by side in this one run.
import '../src/core/polyfill.js';
import { runCertificateBench } from './certificate-bench.js';
import { runCheckpointBench } from './checkpoint-bench.js';
import { runMergeBench } from './merge-bench.js';
import { runSecAggBench } from './secagg-bench.js';
import { runScaleCost } from './scale-cost.js';
import { runSecureSwarmBench } from './secure-swarm-bench.js';
import { runStatusLatencyBench } from './status-latency-bench.js';
import { runSwarmBench } from './swarm-bench.js';
import { runTrainSpeed } from './train-speed.js';

await runTrainSpeed();
await runSwarmBench();
await runMergeBench();
runSecAggBench();
await runSecureSwarmBench();
await runScaleCost();
await runCertificateBench();
await runCheckpointBench();
await runStatusLatencyBench();
