// The fuzz soak (issue 8): a member sends N mutated and random wire messages of every type to two honest
// daemons; they must not crash and must keep committing.   npm run soak:fuzz [-- --messages 10000 --seed 1]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { runFuzzSoak } from './soak/fuzz.js';

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
console.log(JSON.stringify({ ...r, logVerdicts: undefined }, null, 2));
for (const v of r.logVerdicts) console.log(v);
console.log(r.ok ? `soak:fuzz passed: ${r.sent} messages` : `soak:fuzz FAILED: ${r.problems.join('; ')}`);
process.exitCode = r.ok ? 0 : 1;
