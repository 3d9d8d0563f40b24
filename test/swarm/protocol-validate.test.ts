import { describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import {
  MergeError,
  capSampleWeights,
  fedAvg,
  shapesOf,
  validateRound,
  validateUpdate,
  type Contribution,
  type RoundPolicy,
} from '../../src/swarm/protocol/index.js';
import { thrownBy } from '../helpers/errors.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';
import { randomTensors, rng, tensorsJson, vector } from '../helpers/tensors.js';

const layout = [
  ['dense/kernel', [6, 4]],
  ['dense/bias', [4]],
] as const;
const model = randomTensors(layout, 1, (next) => next() - 0.5);
const expectedShapes = shapesOf(model);

/** A site's update: the model plus a seeded delta of the given scale. */
function update(seed: number, scale = 0.1): NamedTensors {
  const delta = randomTensors(layout, seed, (next) => (next() - 0.5) * scale);
  return new Map(
    [...model].map(([name, t]) => [
      name,
      { shape: [...t.shape], data: t.data.map((v, j) => v + delta.get(name)!.data[j]) },
    ]),
  );
}

/** Replaces one value of one tensor (a copy). */
function withValue(tensors: NamedTensors, name: string, index: number, value: number): NamedTensors {
  const out = new Map(tensors);
  const t = tensors.get(name)!;
  const data = Float32Array.from(t.data);
  data[index] = value;
  out.set(name, { shape: t.shape, data });
  return out;
}

function scaled(tensors: NamedTensors, factor: number): NamedTensors {
  return new Map([...tensors].map(([n, t]) => [n, { shape: t.shape, data: t.data.map((v) => v * factor) }]));
}

const honest = ['peer-a', 'peer-b', 'peer-c', 'peer-d'].map((peerId, i): Contribution => ({
  peerId,
  samples: 100 + i,
  tensors: update(10 + i),
}));
const fixedSamples = new Map(honest.map((c) => [c.peerId, c.samples]));
const policy: RoundPolicy = { reference: model, expectedShapes, fixedSamples };

describe('update validation', () => {
  it('accepts honest updates in peer-id order', () => {
    const r = validateRound([...honest].reverse(), { ...policy, maxUpdateNorm: 10, normMultiple: 3 });
    expect(r.accepted.map((c) => c.peerId)).toEqual(['peer-a', 'peer-b', 'peer-c', 'peer-d']);
    expect(r.excluded).toEqual([]);
    expect(r.capped).toEqual([]);
  });

  it('excludes NaN, Inf, a wrong shape, a missing or extra tensor and a wrong dtype, each with its reason', () => {
    const bad: Contribution[] = [
      { peerId: 'x-nan', samples: 1, tensors: withValue(update(1), 'dense/bias', 2, NaN) },
      { peerId: 'x-inf', samples: 1, tensors: withValue(update(2), 'dense/kernel', 0, -Infinity) },
      {
        peerId: 'x-shape',
        samples: 1,
        tensors: new Map(update(3)).set('dense/bias', { shape: [2, 2], data: new Float32Array(4) }),
      },
      { peerId: 'x-missing', samples: 1, tensors: new Map([...update(4)].slice(0, 1)) },
      {
        peerId: 'x-extra',
        samples: 1,
        tensors: new Map(update(5)).set('z', { shape: [], data: new Float32Array(1) }),
      },
      {
        peerId: 'x-dtype',
        samples: 1,
        tensors: new Map(update(6)).set('dense/bias', {
          shape: [4],
          data: new Float64Array(4) as unknown as Float32Array,
        }),
      },
    ];
    const fixed = new Map([...fixedSamples, ...bad.map((c) => [c.peerId, 1] as const)]);
    const r = validateRound([...bad, ...honest], { ...policy, fixedSamples: fixed });
    expect(r.accepted.map((c) => c.peerId)).toEqual(honest.map((c) => c.peerId));
    expect(r.excluded.map((e) => [e.peerId, e.reason])).toEqual([
      ['x-dtype', 'shape'],
      ['x-extra', 'names'],
      ['x-inf', 'non-finite'],
      ['x-missing', 'names'],
      ['x-nan', 'non-finite'],
      ['x-shape', 'shape'],
    ]);
    expect(r.excluded[4].detail).toBe('1 non-finite values (first: dense/bias holds NaN)');
    expect(r.excluded[3].detail).toBe('lacks tensor dense/bias');
  });

  it('checks non-finite values even before a model exists', () => {
    const check = validateUpdate(
      { tensors: withValue(update(1), 'dense/bias', 0, Infinity), samples: 5 },
      { reference: null, expectedShapes, maxUpdateNorm: 1 },
    );
    expect(check).toMatchObject({ ok: false, reason: 'non-finite' });
    const huge = validateUpdate(
      { tensors: scaled(update(1), 1e6), samples: 5 },
      { reference: null, expectedShapes, maxUpdateNorm: 1 },
    );
    expect(huge).toEqual({ ok: true, norm: null }); // no reference: norm bounds wait for the first model
  });

  it('bounds the norm of (update − model): the configured limit, inclusive, by hand', () => {
    const ref = vector([1, 1]);
    const shapes = shapesOf(ref);
    const at = (v: number[], maxUpdateNorm: number) =>
      validateUpdate(
        { tensors: vector(v), samples: 1 },
        { reference: ref, expectedShapes: shapes, maxUpdateNorm },
      );
    expect(at([4, 5], 5)).toEqual({ ok: true, norm: 5 });
    expect(at([4, 5], 4.999)).toMatchObject({ ok: false, reason: 'norm' });
  });

  it('excludes an update scaled by 1e6 or sign-flipped ×10, by the limit and by the median multiple', () => {
    const attack = (peerId: string, tensors: NamedTensors): Contribution => ({
      peerId,
      samples: 100,
      tensors,
    });
    const cs = [
      ...honest,
      attack('x-scale', scaled(update(20), 1e6)),
      attack('x-flip', scaled(update(21), -10)),
    ];
    const fixed = new Map([...fixedSamples, ['x-scale', 100], ['x-flip', 100]]);
    const byLimit = validateRound(cs, { ...policy, fixedSamples: fixed, maxUpdateNorm: 2 });
    expect(byLimit.excluded.map((e) => [e.peerId, e.reason])).toEqual([
      ['x-flip', 'norm'],
      ['x-scale', 'norm'],
    ]);
    const byMedian = validateRound(cs, { ...policy, fixedSamples: fixed, normMultiple: 3 });
    expect(byMedian.excluded.map((e) => [e.peerId, e.reason])).toEqual([
      ['x-flip', 'norm'],
      ['x-scale', 'norm'],
    ]);
    expect(byMedian.excluded[0].detail).toMatch(/exceeds 3 × the round's median norm/);
    expect(byMedian.accepted.map((c) => c.peerId)).toEqual(honest.map((c) => c.peerId));
  });

  it('excludes a claim above the round-0 count as samples-inflated, and accepts a smaller one', () => {
    const inflated = { ...honest[0], samples: 101 };
    const fewer = { ...honest[1], samples: 60 }; // training uses fewer rows than the statistics round counted
    const r = validateRound([inflated, fewer, ...honest.slice(2)], policy);
    expect(r.excluded).toEqual([
      { peerId: 'peer-a', reason: 'samples-inflated', detail: 'claims 101 samples; at most 100 (round 0)' },
    ]);
    expect(r.accepted.map((c) => [c.peerId, c.samples])).toEqual([
      ['peer-b', 60],
      ['peer-c', 102],
      ['peer-d', 103],
    ]);
    const fractional = validateUpdate(
      { tensors: update(1), samples: 2.5 },
      { reference: model, expectedShapes },
    );
    expect(fractional).toMatchObject({ ok: false, reason: 'samples' });
  });

  it('leaves a site absent from round 0 to maxSampleWeight alone', () => {
    const late = { peerId: 'peer-z', samples: 10_000, tensors: update(31) };
    expect(validateRound([...honest, late], policy).excluded).toEqual([]);
    const capped = validateRound([...honest, late], { ...policy, maxSampleWeight: 0.5 });
    expect(capped.capped.map((c) => c.peerId)).toEqual(['peer-z']);
  });

  it('bounds round 1 (no merged model yet) by the distance from the median model, by hand', () => {
    // One coordinate: honest 1, 2, 3 and an attacker at 1e6.
    const cs = [1, 2, 3, 1e6].map((v, i) => ({ peerId: `p${i}`, samples: 1, tensors: vector([v]) }));
    const shapes = shapesOf(vector([0]));
    // The median of four values is the mean of the middle two: (2 + 3) / 2 = 2.5.
    const byLimit = validateRound(cs, { reference: null, expectedShapes: shapes, maxUpdateNorm: 2 });
    expect(byLimit.excluded).toEqual([
      {
        peerId: 'p3',
        reason: 'norm',
        detail: "‖update − the round's median model‖ = 999997.5 exceeds maxUpdateNorm 2",
      },
    ]);
    expect([...byLimit.reference!.get('w')!.data]).toEqual([2.5]);
    const byMedian = validateRound(cs, { reference: null, expectedShapes: shapes, normMultiple: 3 });
    // Distances 1.5, 0.5, 0.5, 999997.5: median 1, so the bound is 3.
    expect(byMedian.excluded.map((x) => [x.peerId, x.reason])).toEqual([['p3', 'norm']]);
    const flipped = [1, 2, 3, -30].map((v, i) => ({ peerId: `p${i}`, samples: 1, tensors: vector([v]) }));
    const flip = validateRound(flipped, { reference: null, expectedShapes: shapes, normMultiple: 3 });
    expect(flip.excluded.map((x) => x.peerId)).toEqual(['p3']);
  });

  it('excludes every entry of a peer that contributes twice', () => {
    const r = validateRound([...honest, { ...honest[1], tensors: update(40) }], policy);
    expect(r.excluded.map((e) => [e.peerId, e.reason])).toEqual([
      ['peer-b', 'duplicate'],
      ['peer-b', 'duplicate'],
    ]);
    expect(r.accepted).toHaveLength(3);
  });

  it('gives the same result for any input order', () => {
    const cs = [
      ...honest,
      { peerId: 'x-nan', samples: 100, tensors: withValue(update(1), 'dense/bias', 0, NaN) },
      { peerId: 'x-big', samples: 100, tensors: scaled(update(2), 50) },
    ];
    const fixed = new Map([...fixedSamples, ['x-nan', 100], ['x-big', 100]]);
    const p = { ...policy, fixedSamples: fixed, normMultiple: 2, maxSampleWeight: 0.3 };
    const first = validateRound(cs, p);
    const next = rng(3);
    for (let i = 0; i < 5; i++) {
      expect(
        validateRound(
          [...cs].sort(() => next() - 0.5),
          p,
        ),
      ).toEqual(first);
    }
  });

  it('leaves a NaN attacker out of the merge so FedAvg stays finite', () => {
    const cs = [
      ...honest,
      { peerId: 'x', samples: 100, tensors: withValue(update(50), 'dense/kernel', 3, NaN) },
    ];
    const r = validateRound(cs, { ...policy, fixedSamples: new Map([...fixedSamples, ['x', 100]]) });
    const merged = fedAvg(r.accepted);
    for (const t of merged.values()) expect(t.data.every(Number.isFinite)).toBe(true);
  });

  it('rejects a policy that cannot hold', () => {
    const code = (p: Partial<RoundPolicy>) =>
      thrownBy(MergeError, () => validateRound(honest, { ...policy, ...p })).code;
    expect(code({ maxUpdateNorm: 0 })).toBe('MERGE_CONFIG');
    expect(code({ normMultiple: 0.5 })).toBe('MERGE_CONFIG');
    expect(code({ maxSampleWeight: 1.5 })).toBe('MERGE_CONFIG');
    expect(code({ reference: vector([1]) })).toBe('MERGE_CONFIG');
  });
});

describe('sample weight cap', () => {
  const site = (peerId: string, samples: number): Contribution => ({ peerId, samples, tensors: vector([0]) });
  const weights = (cs: Contribution[]) => {
    const total = cs.reduce((s, c) => s + c.samples, 0);
    return cs.map((c) => c.samples / total);
  };

  it('lowers an inflated claim to the level where it carries at most maxSampleWeight, by hand', () => {
    const r = capSampleWeights([site('a', 100), site('b', 100), site('c', 1_000_000)], 0.5);
    expect(r.contributions.map((c) => c.samples)).toEqual([100, 100, 200]);
    expect(r.caps).toEqual([{ peerId: 'c', claimed: 1_000_000, samples: 200 }]);
  });

  it('caps several large sites to one level (water-filling)', () => {
    // 0.3 of the total: a and b are capped at c with c = 0.3 · 400 / (1 − 0.6) = 300.
    const r = capSampleWeights([site('a', 5000), site('b', 900), site('c', 250), site('d', 150)], 0.3);
    expect(r.contributions.map((c) => c.samples)).toEqual([300, 300, 250, 150]);
    expect(Math.max(...weights(r.contributions))).toBeLessThanOrEqual(0.3);
  });

  it('weighs everyone the same when the cap cannot be met, and changes nothing when nobody exceeds it', () => {
    const r = capSampleWeights([site('a', 10), site('b', 30), site('c', 20)], 0.2);
    expect(r.contributions.map((c) => c.samples)).toEqual([10, 10, 10]);
    const none = capSampleWeights([site('a', 10), site('b', 11)], 0.6);
    expect(none.caps).toEqual([]);
  });

  it('applies within validateRound after exclusions', () => {
    const fixed = new Map([...fixedSamples, ['peer-a', 10_000]]);
    const cs = [{ ...honest[0], samples: 10_000 }, ...honest.slice(1)];
    const r = validateRound(cs, { ...policy, fixedSamples: fixed, maxSampleWeight: 0.4 });
    expect(r.capped.map((c) => c.peerId)).toEqual(['peer-a']);
    expect(Math.max(...weights(r.accepted))).toBeLessThanOrEqual(0.4);
  });
});

describe('validation against numpy', () => {
  it('norm exclusions match a numpy recomputation', (ctx) => {
    skipIfMissing(ctx, pythonMissing('numpy'));
    const cs = [
      ...honest,
      ...[3, 0.2, 8, 1.5].map((s, i) => ({ peerId: `s-${i}`, samples: 100, tensors: update(60 + i, s) })),
    ];
    const p: RoundPolicy = { reference: model, expectedShapes, maxUpdateNorm: 3, normMultiple: 2 };
    const r = validateRound(cs, p);
    const expected = runPython<string[]>(
      `import json, sys
import numpy as np
d = json.load(sys.stdin)
ref = d["ref"]
norms = {c["peerId"]: float(np.linalg.norm(np.concatenate([np.array(c["t"][n], dtype=np.float32).astype(np.float64) - np.array(ref[n], dtype=np.float32) for n in sorted(ref)]))) for c in d["cs"]}
ok = {p: v for p, v in norms.items() if v <= d["max"]}
med = float(np.median(list(ok.values())))
print(json.dumps(sorted(p for p, v in norms.items() if v > d["max"] or v > d["mult"] * med)))`,
      {
        ref: tensorsJson(model),
        max: p.maxUpdateNorm,
        mult: p.normMultiple,
        cs: cs.map((c) => ({ peerId: c.peerId, t: tensorsJson(c.tensors) })),
      },
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(r.excluded.map((e) => e.peerId)).toEqual(expected);
  });
});
