import { encodeTensors, type NamedTensors } from '../core/index.js';
import {
  computeFeatureStats,
  createTrainer,
  labeledRows,
  score,
  standardizerFromStats,
  standardizerToJSON,
  statsFromTensors,
  statsToTensors,
  type LabeledData,
  type Standardizer,
  type Trainer,
} from '../models/index.js';
import { makeCheckpoint, type Checkpoint } from '../storage/index.js';
import type { CommitRecord } from '../swarm/index.js';
import type { SiteRoundWork, SiteWorkFactory, SiteWorkInit } from './round-work.js';

/** The tfjs side of a swarm round on one site: stats for the shared transform, local training, applying merges. */
export class SiteWork implements SiteRoundWork {
  private readonly trainer: Trainer;
  private standardizer: Standardizer | null;
  private sets: { train: LabeledData; val: LabeledData } | null = null;
  constructor(private readonly o: SiteWorkInit) {
    this.trainer = o.trainer ?? createTrainer(o.model, { kind: 'key', key: o.key });
    this.standardizer = o.standardizer;
  }

  async stats() {
    const { ds, train } = this.o.data;
    return {
      tensors: statsToTensors(computeFeatureStats(ds.features, ds.rows, ds.cols, train, this.o.transform)),
      samples: train.length,
    };
  }

  async train(round: number, base: NamedTensors | null, signal: AbortSignal) {
    const sets = this.labeled();
    if (base) this.trainer.setWeights(base);
    const t = this.o.training;
    const startedAt = Date.now();
    const fit = await this.trainer.fit(sets.train, null, {
      epochs: t.epochsPerRound,
      batchSize: t.batchSize,
      learningRate: t.learningRate,
      seed: t.seed * 1000 + round,
      patience: null,
      signal,
    });
    const metrics = {
      trainLoss: fit.history.at(-1)!.loss,
      localValAccuracy: (await score(this.trainer, sets.val)).accuracy,
      trainMs: Date.now() - startedAt,
    };
    this.o.onTrained?.(round, metrics);
    return { tensors: await this.trainer.getWeights(), samples: sets.train.rows, metrics };
  }

  /** The weights the trainer holds now (before a round: what it will train from). */
  weights(): Promise<NamedTensors> {
    return this.trainer.getWeights();
  }

  /**
   * What the round log stores with a commit: the shared preprocessing and merged statistics (round 0, kept
   * so this site can serve them to a late joiner after a restart), or the merged model's checkpoint.
   */
  async recordFor(
    round: number,
    merged: NamedTensors,
    commitHash: string,
  ): Promise<{ checkpoint?: Checkpoint; meta?: Record<string, unknown> }> {
    if (round === 0) {
      const standardizer = this.sharedStandardizer(merged);
      const statsTensors = Buffer.from(encodeTensors(merged)).toString('base64');
      return { meta: { preprocessing: standardizerToJSON(standardizer), statsTensors } };
    }
    this.trainer.setWeights(merged);
    const val = await score(this.trainer, this.labeled().val);
    const metrics = { mergedValAccuracy: val.accuracy, mergedValMacroF1: val.macroF1 };
    return { checkpoint: this.checkpoint(round, merged, commitHash, metrics) };
  }

  async adopt(round: number, merged: NamedTensors, _commit: CommitRecord) {
    if (round === 0) {
      this.standardizer = this.sharedStandardizer(merged);
      this.sets = null;
      return;
    }
    this.trainer.setWeights(merged);
  }

  /** The swarm's transform, then the standardisation from the merged statistics of round 0. */
  private sharedStandardizer(merged: NamedTensors): Standardizer {
    const stats = statsFromTensors(merged);
    return standardizerFromStats(stats, this.o.data.ds.featureNames, this.o.transform);
  }

  dispose(): void {
    this.trainer.dispose();
  }

  private labeled() {
    if (!this.standardizer) throw new Error('the shared preprocessing (round 0) has not been applied yet');
    if (!this.sets) {
      const { ds, train, val } = this.o.data;
      this.sets = {
        train: labeledRows(ds, this.standardizer, train),
        val: labeledRows(ds, this.standardizer, val),
      };
    }
    return this.sets;
  }

  private checkpoint(
    round: number,
    tensors: NamedTensors,
    commitHash: string,
    metrics: Record<string, number>,
  ): Checkpoint {
    return makeCheckpoint(tensors, {
      id: `round-${String(round).padStart(6, '0')}`,
      round,
      modelConfig: this.o.model,
      keyFingerprint: this.o.key.fingerprint,
      preprocessing: standardizerToJSON(this.standardizer!),
      classNames: this.o.data.ds.classNames,
      metrics,
      dataHash: this.o.data.ds.sourceHash,
      backend: this.o.backend,
      commitHash,
    });
  }
}

/** The daemon's round work unless it is given another: this site's honest training. */
export const honestWork: SiteWorkFactory = (init) => new SiteWork(init);
