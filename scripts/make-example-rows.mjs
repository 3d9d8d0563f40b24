#!/usr/bin/env node
// Regenerates configs/rows/*.txt: the bundled TCGA set split by patient into a held-out test share and
// three sites (seed 42). Run after `npm run build`: node scripts/make-example-rows.mjs
import { loadTcga, planSites, writeRowsFiles } from '../dist/src/node/demo-data.js';

const ds = await loadTcga(new URL('../data', import.meta.url).pathname);
const plan = planSites(ds, { sites: 3, seed: 42, mode: 'random' });
const files = await writeRowsFiles(ds, plan, new URL('../configs/rows', import.meta.url).pathname, [
  'site-a',
  'site-b',
  'site-c',
]);
console.log(
  `held-out ${plan.test.length} rows; sites ${plan.sites.map((s) => s.length).join(' / ')} rows → ${files.join(', ')}`,
);
