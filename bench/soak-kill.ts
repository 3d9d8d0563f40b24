// The kill soak (issue 8): N SIGKILLs of random sites of a 3-site swarm at random phases, then checks.
//   npm run soak:kill [-- --kills 100 --seed 1]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { runKillSoak } from './soak/kill.js';
import { reportSoak } from './soak/report.js';

const { values: args } = parseArgs({
  options: { kills: { type: 'string', default: '20' }, seed: { type: 'string', default: '1' } },
});
const r = await runKillSoak({
  kills: Number(args.kills),
  seed: Number(args.seed),
  say: (line) => console.log(line),
});
reportSoak('soak:kill', r, `${r.kills} kills`);
