// The scale soak (issue 20): N daemons from one bootstrap address commit rounds, plain or secure; one is
// SIGKILLed and rejoins.   npm run soak:scale [-- --sites 30 --aggregation secure --rounds 2 --min-peers 29 --model-mb 1]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { runScaleSoak } from './soak/scale.js';
import { reportSoak } from './soak/report.js';

const { values: args } = parseArgs({
  options: {
    sites: { type: 'string', default: '20' },
    aggregation: { type: 'string', default: 'plain' },
    rounds: { type: 'string', default: '2' },
    'min-peers': { type: 'string' },
    'model-mb': { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
});
if (args.aggregation !== 'plain' && args.aggregation !== 'secure') {
  console.error(`--aggregation must be plain or secure, not ${args.aggregation}`);
  process.exit(2);
}
const r = await runScaleSoak({
  sites: Number(args.sites),
  aggregation: args.aggregation,
  rounds: Number(args.rounds),
  ...(args['min-peers'] ? { minPeers: Number(args['min-peers']) } : {}),
  ...(args['model-mb'] ? { modelMb: Number(args['model-mb']) } : {}),
  seed: Number(args.seed),
  say: (line) => console.log(line),
});
reportSoak('soak:scale', r, `${r.sites} sites (${r.aggregation}) committed rounds and rejoined after a kill`);
