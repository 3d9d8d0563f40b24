// The fuzz soak (issue 8): a member sends N mutated and random wire messages of every type to two honest
// daemons; they must not crash and must keep committing.   npm run soak:fuzz [-- --messages 10000 --seed 1]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { runFuzzSoak } from './soak/fuzz.js';
import { reportSoak } from './soak/report.js';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '1' },
    rate: { type: 'string', default: '200' },
  },
});
const r = await runFuzzSoak({
  messages: Number(args.messages),
  seed: Number(args.seed),
  rate: Number(args.rate),
  say: (line) => console.log(line),
});
reportSoak('soak:fuzz', r, `${r.sent} messages`);
