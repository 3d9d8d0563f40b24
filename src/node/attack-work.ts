import { InputError, type Logger, type NamedTensors } from '../core/index.js';
import { createRng, createTrainer } from '../models/index.js';
import { ATTACKS, ATTACK_PARAMS, attackUpdate, flipLabel, type AttackName } from './attacks.js';
import { SiteWork, type SiteWorkInit } from './site-work.js';

/*
 * A demo and test feature, not an operator setting: `swarmd demo --attack` starts some of its sites with
 * SWARMD_DEMO_ATTACK=<attack> so they send poisoned updates, and the honest sites' defence can be watched.
 * A daemon refuses the variable unless its swarm is the demo's (swarmId `swarmd-demo`).
 */

export const DEMO_ATTACK_ENV = 'SWARMD_DEMO_ATTACK';
/** The swarm id `swarmd demo` writes; the only swarm in which a daemon accepts DEMO_ATTACK_ENV. */
export const DEMO_SWARM_ID = 'swarmd-demo';

/** The site's round work: honest, or (demo only) wrapped to send the attack named by DEMO_ATTACK_ENV. */
export function createSiteWork(
  init: SiteWorkInit,
  o: { env: NodeJS.ProcessEnv; swarmId: string; log: Logger },
): SiteWork {
  const name = o.env[DEMO_ATTACK_ENV];
  if (name === undefined || name === '') return new SiteWork(init);
  if (o.swarmId !== DEMO_SWARM_ID) {
    throw new InputError(
      'DEMO_ATTACK_REFUSED',
      `${DEMO_ATTACK_ENV} is set, but it only works inside \`swarmd demo\` (swarmId ${DEMO_SWARM_ID}, this ` +
        `swarm is ${o.swarmId}): unset ${DEMO_ATTACK_ENV}`,
    );
  }
  if (!(ATTACKS as readonly string[]).includes(name)) {
    throw new InputError(
      'DEMO_ATTACK_UNKNOWN',
      `${DEMO_ATTACK_ENV}=${name}: use one of ${ATTACKS.join(', ')}`,
    );
  }
  o.log.warn({ attack: name }, 'DEMO ATTACKER: this site sends poisoned updates (swarmd demo --attack)');
  return new AttackingSiteWork(init, name as AttackName, o.log);
}

/**
 * Trains like an honest site (on flipped labels for `labelflip`), then publishes the attack instead. It knows
 * only its own update: ALIE and IPM take it as the honest mean (the table's attackers see every update).
 */
class AttackingSiteWork extends SiteWork {
  private readonly random: () => number;
  private initial: NamedTensors | null = null;

  constructor(
    private readonly init: SiteWorkInit,
    private readonly attack: AttackName,
    private readonly log: Logger,
  ) {
    super(attack === 'labelflip' ? withFlippedLabels(init) : init);
    this.random = createRng(init.training.seed * 7919);
  }

  override async stats() {
    const s = await super.stats();
    // The inflating site claims its count from round 0 on, so fixing counts at round 0 does not stop it.
    return this.attack === 'inflate' ? { ...s, samples: ATTACK_PARAMS.inflatedSamples } : s;
  }

  override async train(round: number, base: NamedTensors | null, signal: AbortSignal) {
    const reference = base ?? (await this.initialWeights());
    const own = await super.train(round, base, signal);
    const sent = attackUpdate(this.attack, { reference, honest: [own.tensors], own, random: this.random });
    this.log.warn({ round, attack: this.attack }, 'DEMO ATTACKER: sent a poisoned update');
    return { ...own, ...sent };
  }

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
