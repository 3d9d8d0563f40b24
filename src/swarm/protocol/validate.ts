import { sortedNames, tensorSize, type NamedTensors } from '../../core/index.js';
import { compareIds } from './ids.js';
import { MergeError, type Contribution } from './contributions.js';
import { coordinateMedian } from './coordinate.js';
import { deltaNorm } from './delta.js';
import type { ExclusionReason } from './exclusions.js';
import { capSampleWeights, type SampleCap } from './sample-cap.js';

export { EXCLUSION_REASONS, type ExclusionReason } from './exclusions.js';

/*
 * Update validation, the same at every peer: a pure function of the round's contributions and the swarm's
 * policy, so an aggregator can name exclusions in its commit and every peer can recompute them identically.
 */

export interface Exclusion {
  peerId: string;
  reason: ExclusionReason;
  detail: string;
}

export interface UpdatePolicy {
  /**
   * The model norms are distances from: the last merged model. validateUpdate skips norm bounds without one;
   * validateRound then measures from the coordinate-wise median of the round's well-formed updates.
   */
  reference: NamedTensors | null;
  /** The model's tensor names and shapes. */
  expectedShapes: ReadonlyMap<string, readonly number[]>;
  /** Largest allowed ‖update − reference‖₂. */
  maxUpdateNorm?: number;
  /** The most samples the site may claim: its count in the round-0 statistics merge (training uses fewer). */
  fixedSamples?: number;
}

export interface RoundPolicy extends Omit<UpdatePolicy, 'fixedSamples'> {
  /** Exclude an update whose norm exceeds this multiple of the median norm of the round's valid updates. */
  normMultiple?: number;
  /**
   * Sample counts fixed by the round-0 statistics merge, by peer id: a claim above its site's count is
   * excluded (`samples-inflated`). A site absent from round 0 (a late joiner) has no fixed count: only
   * maxSampleWeight bounds it.
   */
  fixedSamples?: ReadonlyMap<string, number>;
  /** Largest share of the total sample weight one site may carry, in (0, 1]; larger claims are lowered. */
  maxSampleWeight?: number;
}

export type UpdateCheck =
  { ok: true; norm: number | null } | { ok: false; reason: ExclusionReason; detail: string };

export interface RoundValidation {
  /** In peer-id order; `samples` is the merge weight after the optional cap. */
  accepted: Contribution[];
  /** In peer-id order. */
  excluded: Exclusion[];
  /** Sites whose sample weight was lowered by maxSampleWeight, in peer-id order. */
  capped: SampleCap[];
  /** What norms were measured from: the policy's reference, or the round's median model (null: none valid). */
  reference: NamedTensors | null;
}

/** The names and shapes of a model, for `expectedShapes`. */
export function shapesOf(tensors: NamedTensors): Map<string, number[]> {
  return new Map([...tensors].map(([name, t]) => [name, [...t.shape]]));
}

/** Checks one update: names, shapes, sample count, finite values, norm bound (in that order; first failure wins). */
export function validateUpdate(
  update: { tensors: NamedTensors; samples: number },
  policy: UpdatePolicy,
): UpdateCheck {
  const fail = (reason: ExclusionReason, detail: string): UpdateCheck => ({ ok: false, reason, detail });
  const layout = layoutProblem(update.tensors, policy.expectedShapes);
  if (layout !== null) return fail(layout.reason, layout.detail);
  const { samples } = update;
  if (!Number.isSafeInteger(samples) || samples <= 0)
    return fail('samples', `claims ${samples} samples; need a positive integer`);
  if (policy.fixedSamples !== undefined && samples > policy.fixedSamples)
    return fail('samples-inflated', `claims ${samples} samples; at most ${policy.fixedSamples} (round 0)`);
  const norm = deltaNorm(update.tensors, policy.reference);
  if (!Number.isFinite(norm)) return fail('non-finite', nonFiniteDetail(update.tensors));
  if (policy.reference === null) return { ok: true, norm: null };
  if (policy.maxUpdateNorm !== undefined && norm > policy.maxUpdateNorm)
    return fail('norm', `‖update − model‖ = ${norm} exceeds maxUpdateNorm ${policy.maxUpdateNorm}`);
  return { ok: true, norm };
}

/**
 * Validates a round's contributions: per update (layout, samples, finite), then the norm bounds measured from
 * the policy's reference or, before any merged model, from the coordinate-wise median of the well-formed
 * updates (so round 1 is bounded too), then the sample cap.
 */
export function validateRound(contributions: readonly Contribution[], policy: RoundPolicy): RoundValidation {
  checkPolicy(policy);
  const sorted = [...contributions].sort((a, b) => compareIds(a.peerId, b.peerId));
  const excluded: Exclusion[] = [];
  const formed: Contribution[] = [];
  for (const [i, c] of sorted.entries()) {
    if (sorted[i - 1]?.peerId === c.peerId || sorted[i + 1]?.peerId === c.peerId) {
      excluded.push({ peerId: c.peerId, reason: 'duplicate', detail: 'contributes more than once' });
      continue;
    }
    const limit = policy.fixedSamples?.get(c.peerId);
    const check = validateUpdate(c, { ...policy, reference: null, fixedSamples: limit });
    if (check.ok) formed.push(c);
    else excluded.push({ peerId: c.peerId, reason: check.reason, detail: check.detail });
  }
  const reference = policy.reference ?? (formed.length > 0 ? coordinateMedian(formed) : null);
  const from = policy.reference === null ? "the round's median model" : 'model';
  const passed: { c: Contribution; norm: number }[] = [];
  for (const c of formed) {
    const norm = deltaNorm(c.tensors, reference);
    if (policy.maxUpdateNorm !== undefined && norm > policy.maxUpdateNorm) {
      const detail = `‖update − ${from}‖ = ${norm} exceeds maxUpdateNorm ${policy.maxUpdateNorm}`;
      excluded.push({ peerId: c.peerId, reason: 'norm', detail });
    } else passed.push({ c, norm });
  }
  const bound = outlierBound(passed, policy.normMultiple);
  const accepted: Contribution[] = [];
  for (const { c, norm } of passed) {
    if (bound !== null && norm > bound.limit) {
      excluded.push({
        peerId: c.peerId,
        reason: 'norm',
        detail: `‖update − ${from}‖ = ${norm} exceeds ${policy.normMultiple} × the round's median norm ${bound.median}`,
      });
    } else accepted.push(c);
  }
  excluded.sort((a, b) => compareIds(a.peerId, b.peerId) || compareIds(a.reason, b.reason));
  const { contributions: capped, caps } = capSampleWeights(accepted, policy.maxSampleWeight);
  return { accepted: capped, excluded, capped: caps, reference };
}

function outlierBound(
  passed: readonly { norm: number }[],
  multiple: number | undefined,
): { median: number; limit: number } | null {
  if (multiple === undefined || passed.length === 0) return null;
  const norms = Float64Array.from(passed, (p) => p.norm).sort();
  const mid = norms.length >> 1;
  const median = norms.length % 2 === 1 ? norms[mid] : (norms[mid - 1] + norms[mid]) / 2;
  return { median, limit: multiple * median };
}

function layoutProblem(
  tensors: NamedTensors,
  expected: ReadonlyMap<string, readonly number[]>,
): { reason: 'names' | 'shape'; detail: string } | null {
  for (const name of [...expected.keys()].sort())
    if (!tensors.has(name)) return { reason: 'names', detail: `lacks tensor ${name}` };
  for (const name of sortedNames(tensors)) {
    const shape = expected.get(name);
    if (shape === undefined) return { reason: 'names', detail: `has unexpected tensor ${name}` };
    const t = tensors.get(name)!;
    const sameShape = t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]);
    if (!sameShape || !(t.data instanceof Float32Array) || t.data.length !== tensorSize(shape)) {
      return {
        reason: 'shape',
        detail: `tensor ${name} has shape [${t.shape}] (${t.data.length} values), expected [${shape}] float32`,
      };
    }
  }
  return null;
}

function nonFiniteDetail(tensors: NamedTensors): string {
  let count = 0;
  let first = '';
  for (const name of sortedNames(tensors)) {
    for (const v of tensors.get(name)!.data) {
      if (Number.isFinite(v)) continue;
      if (count++ === 0) first = `${name} holds ${v}`;
    }
  }
  return `${count} non-finite values (first: ${first})`;
}

function checkPolicy(p: RoundPolicy): void {
  const bad = (what: string) => {
    throw new MergeError('MERGE_CONFIG', `${what}; fix it in the swarm config`);
  };
  if (p.maxUpdateNorm !== undefined && !(p.maxUpdateNorm > 0))
    bad(`maxUpdateNorm ${p.maxUpdateNorm} must be positive`);
  if (p.normMultiple !== undefined && !(p.normMultiple >= 1))
    bad(`normMultiple ${p.normMultiple} must be at least 1`);
  if (p.maxSampleWeight !== undefined && !(p.maxSampleWeight > 0 && p.maxSampleWeight <= 1))
    bad(`maxSampleWeight ${p.maxSampleWeight} must be in (0, 1]`);
  if (p.reference !== null && layoutProblem(p.reference, p.expectedShapes) !== null)
    throw new MergeError('MERGE_CONFIG', 'the reference model does not match expectedShapes');
}
