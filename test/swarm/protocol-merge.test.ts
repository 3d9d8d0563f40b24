import { describe, expect, it } from 'vitest';
import { hashTensors, type NamedTensors } from '../../src/core/index.js';
import {
  MergeError,
  fedAvg,
  mergeByMethod,
  sumTensors,
  type Contribution,
} from '../../src/swarm/protocol/index.js';
import { thrownBy } from '../helpers/errors.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';
import { randomTensors, rng, tensorsJson } from '../helpers/tensors.js';

const layout: [string, number[]][] = [
  ['dense/kernel', [7, 5]],
  ['dense/bias', [5]],
  ['scale', []],
];

function contribution(peerId: string, samples: number, seed: number): Contribution {
  return { peerId, samples, tensors: randomTensors(layout, seed) };
}

const contributions = [
  contribution('peer-c', 17, 3),
  contribution('peer-a', 1000, 1),
  contribution('peer-b', 3, 2),
  contribution('peer-B', 250, 4),
];

// The reference: contributors in peer-ID order, float64 accumulation from zero, one cast to float32.
const REFERENCE = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
cs = sorted(d["contributions"], key=lambda c: c["peerId"])
total = sum(c["samples"] for c in cs)
out = {}
for name in cs[0]["tensors"]:
    acc = np.zeros(len(cs[0]["tensors"][name]), dtype=np.float64)
    for c in cs:
        x = np.array(c["tensors"][name], dtype=np.float32).astype(np.float64)
        acc += x if d["method"] == "sum" else (c["samples"] / total) * x
    out[name] = [float(v) for v in acc.astype(np.float32)]
print(json.dumps(out))`;

function reference(method: 'fedavg' | 'sum', cs: Contribution[]): Record<string, number[]> {
  const input = cs.map((c) => ({
    peerId: c.peerId,
    samples: c.samples,
    tensors: tensorsJson(c.tensors),
  }));
  return runPython(REFERENCE, { method, contributions: input });
}

const mergeError = (fn: () => unknown): MergeError => thrownBy(MergeError, fn);

describe('deterministic merges', () => {
  it('fedAvg equals numpy bit for bit', (ctx) => {
    skipIfMissing(ctx, pythonMissing('numpy'));
    const expected = reference('fedavg', contributions);
    const merged = fedAvg(contributions);
    for (const [name, shape] of layout) {
      expect(merged.get(name)!.shape).toEqual(shape);
      expect([...merged.get(name)!.data]).toEqual(expected[name]);
    }
  });

  it('sumTensors equals numpy bit for bit', (ctx) => {
    skipIfMissing(ctx, pythonMissing('numpy'));
    const expected = reference('sum', contributions);
    const merged = sumTensors(contributions);
    for (const [name] of layout) expect([...merged.get(name)!.data]).toEqual(expected[name]);
  });

  it('averages hand-worked numbers with sample weights', () => {
    const t = (v: number[]): NamedTensors =>
      new Map([['w', { shape: [v.length], data: Float32Array.from(v) }]]);
    const merged = fedAvg([
      { peerId: 'b', samples: 3, tensors: t([4, -2]) },
      { peerId: 'a', samples: 1, tensors: t([0, 2]) },
    ]);
    expect([...merged.get('w')!.data]).toEqual([3, -1]);
    const summed = sumTensors([
      { peerId: 'b', samples: 3, tensors: t([4, -2]) },
      { peerId: 'a', samples: 1, tensors: t([0, 2]) },
    ]);
    expect([...summed.get('w')!.data]).toEqual([4, 0]);
  });

  it('gives byte-identical output for any input order', () => {
    const hash = hashTensors(fedAvg(contributions));
    const next = rng(99);
    for (let i = 0; i < 10; i++) {
      const shuffled = [...contributions].sort(() => next() - 0.5);
      expect(hashTensors(fedAvg(shuffled))).toBe(hash);
      expect(hashTensors(mergeByMethod('sum', shuffled))).toBe(hashTensors(sumTensors(contributions)));
    }
  });

  it('does not modify its inputs', () => {
    const before = contributions.map((c) => hashTensors(c.tensors));
    fedAvg(contributions);
    expect(contributions.map((c) => hashTensors(c.tensors))).toEqual(before);
  });

  it('rejects a contribution whose shapes differ', () => {
    const bad = contribution('peer-d', 5, 5);
    bad.tensors.set('dense/bias', { shape: [1, 5], data: new Float32Array(5) });
    expect(mergeError(() => fedAvg([...contributions, bad])).code).toBe('MERGE_SHAPE_MISMATCH');
    const short = contribution('peer-d', 5, 5);
    short.tensors.set('dense/bias', { shape: [5], data: new Float32Array(4) });
    expect(mergeError(() => fedAvg([...contributions, short])).code).toBe('MERGE_SHAPE_MISMATCH');
  });

  it('rejects a contribution whose tensor names differ', () => {
    const missing = contribution('peer-d', 5, 5);
    missing.tensors.delete('scale');
    expect(mergeError(() => fedAvg([...contributions, missing])).code).toBe('MERGE_NAMES_MISMATCH');
    const renamed = contribution('peer-d', 5, 5);
    renamed.tensors.set('other', renamed.tensors.get('scale')!);
    renamed.tensors.delete('scale');
    expect(mergeError(() => fedAvg([...contributions, renamed])).code).toBe('MERGE_NAMES_MISMATCH');
  });

  it('rejects empty input, non-positive samples and a peer counted twice', () => {
    expect(mergeError(() => fedAvg([])).code).toBe('MERGE_EMPTY');
    expect(mergeError(() => fedAvg([contribution('x', 0, 1)])).code).toBe('MERGE_BAD_SAMPLES');
    expect(mergeError(() => sumTensors([contribution('x', 1.5, 1)])).code).toBe('MERGE_BAD_SAMPLES');
    const twice = [contribution('x', 1, 1), contribution('x', 2, 2)];
    expect(mergeError(() => fedAvg(twice)).code).toBe('MERGE_DUPLICATE_PEER');
  });
});
