import type { Dataset } from '../../src/models/index.js';
import { firstRoundWithin, type CaseResult } from './case.js';
import type { BenchSet } from './data.js';

/** Mean ± sample standard deviation, in percent with one decimal. */
export function meanSd(values: number[]): string {
  const n = values.length;
  if (n === 0) return '—';
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return `${(mean * 100).toFixed(1)} ± ${(sd * 100).toFixed(1)}`;
}

export function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export const TABLE_HEAD = [
  '| data set | samples × features, classes | swarmd centralised | LR (sklearn defaults, re-impl.) | MLP (sklearn defaults, re-impl.) | swarm, 3 sites | round within 2 pts of centralised (per seed) |',
  '|---|---|---|---|---|---|---|',
];

/** One table row: mean ± sd over the seeds of held-out test accuracy (%). */
export function tableRow(set: BenchSet, ds: Dataset, results: CaseResult[]): string {
  const swarms = results.filter((r) => r.swarm !== null);
  const rounds = swarms.map((r) => firstRoundWithin(r.swarm!.accuracy, r.centralised.test) ?? '—').join(', ');
  const lastRound = swarms[0]?.swarm?.accuracy.length;
  const mlp = results.flatMap((r) => (r.python.mlp ? [r.python.mlp.accuracy] : []));
  return [
    '',
    set.name +
      (set.maxRows !== undefined ? ` (subsample)` : '') +
      (set.transform !== 'none' ? `, ${set.transform}` : ''),
    `${ds.rows} × ${ds.cols}, ${ds.classNames.length}`,
    meanSd(results.map((r) => r.centralised.test)),
    meanSd(results.map((r) => r.python.lr.accuracy)),
    meanSd(mlp),
    swarms.length ? `${meanSd(swarms.map((r) => r.swarm!.accuracy.at(-1)!))} (round ${lastRound})` : '—',
    swarms.length ? rounds : '—',
    '',
  ]
    .join(' | ')
    .trim();
}
