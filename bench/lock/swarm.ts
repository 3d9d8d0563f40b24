// The swarm's own model for the lock study: three sites on the bundled TCGA set (the demo's plan: a held-out
// test split by patient, the rest dealt at random), trained in-process by the daemon's own round work
// (SiteWork: round-0 statistics, local epochs) and merged by the protocol's sum (round 0) and FedAvg.
import type { NamedTensors } from '../../src/core/index.js';
import type { ModelKey } from '../../src/inr/index.js';
import {
  computeFeatureStats,
  labeledRows,
  splitSubset,
  standardizerFromStats,
  statsFromTensors,
  statsToTensors,
  type LabeledData,
  type ModelConfig,
} from '../../src/models/index.js';
import { loadTcga, planSites, siteName } from '../../src/node/demo-data.js';
import type { SiteData } from '../../src/node/site-data.js';
import { SiteWork } from '../../src/node/site-work.js';
import { fedAvg, sumTensors, type CommitRecord } from '../../src/swarm/index.js';

const EPOCHS_PER_ROUND = 2; // the swarm config's default training.epochsPerRound

export async function trainSwarmModel(dataDir: string, seed: number, rounds: number, key: ModelKey) {
  const ds = await loadTcga(dataDir);
  const plan = planSites(ds, { sites: 3, seed, mode: 'random' });
  const sites: SiteData[] = plan.sites.map((rows) => ({
    ds,
    ...splitSubset(ds, rows, 0.15, seed, ds.meta.patient),
    suspectColumns: [],
  }));
  // The shared standardisation, as round 0 makes it (for scoring here; the sites make their own the same way).
  const stats = sumTensors(
    sites.map((s, i) => ({
      peerId: siteName(i),
      samples: s.train.length,
      tensors: statsToTensors(computeFeatureStats(ds.features, ds.rows, ds.cols, s.train, 'none')),
    })),
  );
  const standardizer = standardizerFromStats(statsFromTensors(stats), ds.featureNames, 'none');
  const rowsOf = (rows: number[]): LabeledData => labeledRows(ds, standardizer, rows);
  const all = (pick: (s: SiteData) => number[]) => sites.flatMap(pick).sort((a, b) => a - b);
  const sets = {
    train: rowsOf(all((s) => s.train)),
    val: rowsOf(all((s) => s.val)),
    test: rowsOf(plan.test),
  };

  const train = async (model: ModelConfig): Promise<NamedTensors> => {
    const works = sites.map(
      (data) =>
        new SiteWork({
          data,
          model,
          key,
          training: { epochsPerRound: EPOCHS_PER_ROUND, batchSize: 32, learningRate: 1e-3, seed },
          backend: 'lock-table',
          standardizer: null,
          transform: 'none',
        }),
    );
    const noCommit = null as unknown as CommitRecord; // SiteWork.adopt does not read it
    const signal = new AbortController().signal;
    try {
      const round0 = await Promise.all(works.map((w) => w.stats()));
      const merged0 = sumTensors(round0.map((s, i) => ({ peerId: siteName(i), ...s })));
      for (const w of works) await w.adopt(0, merged0, noCommit);
      let merged: NamedTensors | null = null;
      for (let round = 1; round <= rounds; round++) {
        const updates = [];
        for (const [i, w] of works.entries()) {
          const u = await w.train(round, merged, signal);
          updates.push({ peerId: siteName(i), samples: u.samples, tensors: u.tensors });
        }
        merged = fedAvg(updates);
        for (const w of works) await w.adopt(round, merged, noCommit);
      }
      return merged!;
    } finally {
      works.forEach((w) => w.dispose());
    }
  };
  return {
    sets,
    base: { inputDim: ds.cols, numClasses: ds.classNames.length },
    about: `TCGA, 3 sites × ${rounds} rounds × ${EPOCHS_PER_ROUND} epochs, FedAvg; train/val/test ${sets.train.rows}/${sets.val.rows}/${sets.test.rows}`,
    train,
  };
}
