// The swarm result table (issue 3): the bundled TCGA set split by patient across 3 and 5 sites, at random and
// label-skewed (Dirichlet α = 0.5 over classes), with a held-out test split: swarm (real daemons on this
// machine) vs centralised vs each site alone, with the right key and a wrong key.
//   npm run table:swarm [-- --rounds 8 --epochs-per-round 2 --only 3:random]
import '../src/core/polyfill.js';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/models/index.js';
import { formatDemoTable, runDemo } from '../src/node/index.js';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '8' },
    'epochs-per-round': { type: 'string', default: '2' },
    seed: { type: 'string', default: '42' },
    only: { type: 'string' },
  },
});

const setups = [
  { sites: 3, mode: 'random' as const },
  { sites: 3, mode: 'dirichlet' as const, alpha: 0.5 },
  { sites: 5, mode: 'random' as const },
  { sites: 5, mode: 'dirichlet' as const, alpha: 0.5 },
].filter((s) => !args.only || args.only === `${s.sites}:${s.mode}`);

const backend = await selectBackend('auto');
const rounds = Number(args.rounds);
const epochsPerRound = Number(args['epochs-per-round']);
console.log(
  `# Swarm vs centralised vs single site — TCGA (1204 × 3556, 11 classes), backend ${backend.name}, ` +
    `${rounds} rounds × ${epochsPerRound} local epochs (baselines: ${rounds * epochsPerRound} epochs)`,
);
for (const s of setups) {
  const started = Date.now();
  const res = await runDemo({
    sites: s.sites,
    split: { mode: s.mode, alpha: s.alpha },
    everySiteAlone: true,
    rounds,
    epochsPerRound,
    seed: Number(args.seed),
    say: () => {},
  });
  console.log(
    `\n## ${s.sites} sites, ${s.mode === 'random' ? 'random by patient' : `label-skewed by patient (Dirichlet α = ${s.alpha})`}; site sizes ${res.siteRows.join(' / ')}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  console.log(formatDemoTable(res.rows, res.testRows));
}
