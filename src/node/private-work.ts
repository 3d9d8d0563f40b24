import { randomBytes } from 'node:crypto';
import { InputError, type Logger, type NamedTensors } from '../core/index.js';
import { privatizeUpdate, type RandomBytes, type RoundWork } from '../swarm/index.js';
import type { SwarmConfig } from './config.js';
import { privacyPlan, privacyStatus, roundsToTrain, type PrivacyPlan } from './privacy-config.js';

const csprng: RandomBytes = (n) => new Uint8Array(randomBytes(n));

/**
 * A site's round work with distributed DP (swarm config `privacy`): trains as `work` does, then sends the
 * round's start weights plus the update clipped to clipNorm plus this site's share of the noise, with
 * sample count 1 (equal weights). Round 0 (feature statistics) is left as it is: it is not covered.
 */
export function privateWork(
  work: RoundWork,
  o: {
    plan: PrivacyPlan;
    /** What training starts from when a round has no merged base yet (the site's initial weights). */
    startWeights(): Promise<NamedTensors>;
    log: Logger;
    random?: RandomBytes;
  },
): RoundWork {
  return {
    stats: () => work.stats(),
    adopt: (round, merged, commit) => work.adopt(round, merged, commit),
    async train(round, base, signal) {
      const start = base ?? (await o.startWeights()); // read before training moves the weights
      const r = await work.train(round, base, signal);
      const p = privatizeUpdate(start, r.tensors, o.plan.mechanism, o.random ?? csprng);
      const { clipNorm } = o.plan.mechanism;
      o.log.info(
        { round, updateNorm: p.updateNorm, clipNorm },
        'clipped the update and added noise (privacy)',
      );
      return { tensors: p.tensors, samples: 1, metrics: { ...r.metrics, updateNorm: p.updateNorm } };
    },
  };
}

/**
 * The daemon's privacy wiring: the work the swarm peer drives, the accounting plan (null: privacy off)
 * and the rounds to train (the swarm's, fewer where maxEpsilon runs out first).
 */
export async function sitePrivacy<W extends RoundWork & { weights(): Promise<NamedTensors> }>(
  swarm: SwarmConfig,
  work: W,
  log: Logger,
): Promise<{
  work: RoundWork;
  plan: PrivacyPlan | null;
  maxRounds: number | null;
  /** Logs and returns the ε spent once a model round is applied (recorded with its checkpoint). */
  roundMetrics?: (round: number) => Record<string, number>;
}> {
  if (swarm.privacy === undefined) return { work, plan: null, maxRounds: swarm.rounds };
  const coordinates = [...(await work.weights()).values()].reduce((n, t) => n + t.data.length, 0);
  const plan = privacyPlan({ ...swarm, privacy: swarm.privacy }, coordinates);
  if (plan.roundsAllowed === 0) {
    throw new InputError(
      'PRIVACY_BUDGET',
      `privacy.maxEpsilon ${plan.maxEpsilon} is below the ε of one round for this model (${coordinates} ` +
        'weights, rounding charged): raise maxEpsilon or noiseMultiplier',
    );
  }
  const maxRounds = roundsToTrain(swarm.rounds, plan);
  log.info({ ...plan, coordinates, maxRounds }, 'differential privacy on');
  const roundMetrics = (round: number) => {
    const { epsilon, epsilonCurious, epsilonColluders, roundsAllowed } = privacyStatus(plan, round);
    const spent = { epsilon, epsilonCurious, epsilonColluders };
    log.info({ round, ...spent, delta: plan.delta, roundsAllowed }, 'privacy spent after this round');
    // Stored with each checkpoint and carried by its exported file: the guarantee and both honest figures.
    return {
      ...{ privacyEpsilon: epsilon, privacyDelta: plan.delta },
      ...{ privacyEpsilonCurious: epsilonCurious, privacyEpsilonColluders: epsilonColluders },
    };
  };
  const privateRounds = privateWork(work, { plan, startWeights: () => work.weights(), log });
  return { work: privateRounds, plan, maxRounds, roundMetrics };
}
