import { InputError, sortedNames, type NamedTensors } from '../src/core/index.js';

/*
 * What a Byzantine member sends instead of its honest update: the attacks of the robustness table
 * (`npm run table:byzantine`) and of the attack demo (`npm run demo:attack`). Definitions follow ByzFL (EPFL), applied to
 * model updates (the weights a site sends minus the model the round started from), since a merge of weights
 * is the same merge of those deltas. Pure: the caller supplies the honest updates it knows and a random source.
 */

export const ATTACKS = [
  'nan',
  'signflip',
  'scale',
  'alie',
  'ipm',
  'gaussian',
  'labelflip',
  'inflate',
] as const;
export type AttackName = (typeof ATTACKS)[number];

/** An attack's name as a flag gives it; an unknown name is an InputError listing the known. */
export function parseAttack(name: string, flag = '--attack'): AttackName {
  if (!(ATTACKS as readonly string[]).includes(name))
    throw new InputError('DEMO_ATTACK', `${flag} ${name}: use one of ${ATTACKS.join(', ')}`);
  return name as AttackName;
}

/** The attack parameters of the table (ByzFL's names): ALIE τ, IPM ε, Gaussian σ, the scale factor, the inflated count. */
export const ATTACK_PARAMS = { tau: 1.5, epsilon: 0.1, sigma: 200, scale: -10, inflatedSamples: 1_000_000 };

export interface AttackInput {
  /** The model this round started from (the last merged model, or the common initial one). */
  reference: NamedTensors;
  /**
   * Honest updates the attacker knows (weights, not deltas). The table's attacker is omniscient (every
   * honest site's update of this round); the demo's knows only its own.
   */
  honest: readonly NamedTensors[];
  /** The attacker's own update and sample count: trained honestly, or on flipped labels for `labelflip`. */
  own: { tensors: NamedTensors; samples: number };
  /** Uniform in [0, 1) (Gaussian noise only). */
  random: () => number;
}

/** The update and sample count the attacker publishes. */
export function attackUpdate(name: AttackName, a: AttackInput): { tensors: NamedTensors; samples: number } {
  const samples = name === 'inflate' ? ATTACK_PARAMS.inflatedSamples : a.own.samples;
  return { tensors: attackTensors(name, a), samples };
}

function attackTensors(name: AttackName, a: AttackInput): NamedTensors {
  const p = ATTACK_PARAMS;
  switch (name) {
    case 'nan':
      return mapTensors(a.reference, () => NaN);
    case 'labelflip': // the poison is in the training labels (flipLabel); the update goes out as trained
    case 'inflate': // an honest update with an inflated sample count
      return a.own.tensors;
    case 'scale': // the measured attack: its own weights × −10
      return mapTensors(a.own.tensors, (_n, _j, x) => p.scale * x);
    case 'gaussian': // ByzFL Gaussian(μ = 0, σ): the delta is pure noise
      return mapTensors(a.reference, (_n, _j, r) => r + p.sigma * normal(a.random));
    case 'signflip': // ByzFL SignFlipping: −mean of the honest deltas
    case 'ipm': // ByzFL InnerProductManipulation: −ε · mean of the honest deltas
    case 'alie': // ByzFL ALittleIsEnough: mean + τ · std of the honest deltas, per coordinate
      return fromMoments(name, a);
  }
}

function fromMoments(name: 'signflip' | 'ipm' | 'alie', a: AttackInput): NamedTensors {
  const m = a.honest.length;
  return mapTensors(a.reference, (n, j, r) => {
    let sum = 0;
    for (const h of a.honest) sum += h.get(n)!.data[j] - r;
    const mean = sum / m;
    if (name === 'signflip') return r - mean;
    if (name === 'ipm') return r - ATTACK_PARAMS.epsilon * mean;
    let sq = 0;
    for (const h of a.honest) sq += (h.get(n)!.data[j] - r - mean) ** 2;
    // One known update (the demo's attacker): its own delta's size stands in for the spread.
    const std = m > 1 ? Math.sqrt(sq / (m - 1)) : Math.abs(mean);
    return r + mean + ATTACK_PARAMS.tau * std;
  });
}

/** ByzFL LabelFlipping: class y becomes (classes − 1 − y). */
export function flipLabel(y: number, classes: number): number {
  return classes - 1 - y;
}

function mapTensors(
  like: NamedTensors,
  value: (name: string, index: number, x: number) => number,
): NamedTensors {
  const out: NamedTensors = new Map();
  for (const name of sortedNames(like)) {
    const t = like.get(name)!;
    const data = new Float32Array(t.data.length);
    for (let j = 0; j < data.length; j++) data[j] = value(name, j, t.data[j]);
    out.set(name, { shape: [...t.shape], data });
  }
  return out;
}

/** Standard normal by Box–Muller (one of the pair; simple beats fast here). */
function normal(random: () => number): number {
  const u = 1 - random(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
