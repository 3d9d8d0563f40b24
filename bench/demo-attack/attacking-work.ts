import type { Logger, NamedTensors } from '../../src/core/index.js';
import { createRng, createTrainer } from '../../src/models/index.js';
import {
  SiteWork,
  type SiteRoundWork,
  type SiteWorkFactory,
  type SiteWorkInit,
} from '../../src/node/index.js';
import { ATTACK_PARAMS, attackUpdate, flipLabel, type AttackName } from '../attacks.js';

/*
 * The round work of an attacking demo site (`npm run demo:attack`): the daemon component that site's entry
 * point (site.ts) builds the daemon with. `swarmd start` never loads it.
 */

/** The daemon's round work for a site that sends `attack` instead of its honest update. */
export function attackingWork(attack: AttackName): SiteWorkFactory {
  return (init, { log }) => {
    log.warn({ attack }, 'DEMO ATTACKER: this site sends poisoned updates (npm run demo:attack)');
    return new AttackingWork(init, attack, log);
  };
}

/**
 * Trains like an honest site (on flipped labels for `labelflip`), then publishes the attack instead; records
 * and adopts merges as the honest site does. It knows only its own update: ALIE and IPM take it as the honest
 * mean (the table's attackers see every update).
 */
class AttackingWork implements SiteRoundWork {
  private readonly honest: SiteWork;
  private readonly random: () => number;
  private initial: NamedTensors | null = null;

  constructor(
    private readonly init: SiteWorkInit,
    private readonly attack: AttackName,
    private readonly log: Logger,
  ) {
    this.honest = new SiteWork(attack === 'labelflip' ? withFlippedLabels(init) : init);
    this.random = createRng(init.training.seed * 7919);
  }

  async stats() {
    const s = await this.honest.stats();
    // The inflating site claims its count from round 0 on, so fixing counts at round 0 does not stop it.
    return this.attack === 'inflate' ? { ...s, samples: ATTACK_PARAMS.inflatedSamples } : s;
  }

  async train(round: number, base: NamedTensors | null, signal: AbortSignal) {
    const reference = base ?? (await this.initialWeights());
    const own = await this.honest.train(round, base, signal);
    const sent = attackUpdate(this.attack, { reference, honest: [own.tensors], own, random: this.random });
    this.log.warn({ round, attack: this.attack }, 'DEMO ATTACKER: sent a poisoned update');
    return { ...own, ...sent };
  }

  adopt: SiteRoundWork['adopt'] = (round, merged, commit) => this.honest.adopt(round, merged, commit);
  weights = () => this.honest.weights();
  recordFor: SiteRoundWork['recordFor'] = (round, merged, hash) => this.honest.recordFor(round, merged, hash);
  dispose = () => this.honest.dispose();

  /** Round 1 starts from the model every site builds from model.seed; built once to serve as the reference. */
  private async initialWeights(): Promise<NamedTensors> {
    if (this.initial === null) {
      const t = createTrainer(this.init.model, { kind: 'key', key: this.init.key });
      this.initial = await t.getWeights();
      t.dispose();
    }
    return this.initial;
  }
}

function withFlippedLabels(init: SiteWorkInit): SiteWorkInit {
  const ds = init.data.ds;
  const classes = ds.classNames.length;
  const labels = ds.labels.map((y) => (y >= 0 ? flipLabel(y, classes) : y));
  return { ...init, data: { ...init.data, ds: { ...ds, labels } } };
}
