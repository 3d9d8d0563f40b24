// The kill soak (issue 8): N SIGKILLs of random sites of a 3-site swarm at random phases, then checks.
//   npm run soak:kill [-- --kills 100 --seed 1]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { runKillSoak } from './soak/kill.js';

const { values: args } = parseArgs({
  options: { kills: { type: 'string', default: '20' }, seed: { type: 'string', default: '1' } },
});
const r = await runKillSoak({
  kills: Number(args.kills),
  seed: Number(args.seed),
  say: (line) => console.log(line),
});
console.log(JSON.stringify({ ...r, logVerdicts: undefined }, null, 2));
for (const v of r.logVerdicts) console.log(v);
console.log(r.ok ? `soak:kill passed: ${r.kills} kills` : `soak:kill FAILED: ${r.problems.join('; ')}`);
process.exitCode = r.ok ? 0 : 1;
