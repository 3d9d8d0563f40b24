import { beforeEach, describe, expect, it } from 'vitest';
import { hashTensors, type NamedTensors } from '../../src/core/index.js';
import {
  MergeError,
  deltaNorm,
  mergeByMethod,
  trimCount,
  type Contribution,
  type MergeMethod,
  type MergeOptions,
} from '../../src/swarm/protocol/index.js';
import { thrownBy } from '../helpers/errors.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';
import { randomTensors, rng, tensorsJson, vector } from '../helpers/tensors.js';

const layout = [
  ['dense/kernel', [9, 7]],
  ['dense/bias', [7]],
  ['scale', []],
] as const;

const model = randomTensors(layout, 100);

/** Site i: the model plus a seeded delta of its own scale, so norms differ and some get clipped. */
function site(peerId: string, samples: number, seed: number, scale: number): Contribution {
  const delta = randomTensors(layout, seed, (next) => (next() - 0.5) * scale);
  const tensors: NamedTensors = new Map();
  for (const [name, t] of model) {
    const d = delta.get(name)!.data;
    tensors.set(name, { shape: [...t.shape], data: t.data.map((v, j) => v + d[j]) });
  }
  return { peerId, samples, tensors };
}

const six = [
  site('peer-f', 40, 6, 0.5),
  site('peer-a', 1000, 1, 2),
  site('peer-c', 17, 3, 0.01),
  site('peer-B', 250, 4, 1),
  site('peer-e', 3, 5, 30),
  site('peer-d', 90, 2, 0.2),
];
const five = six.slice(0, 5);

// Independent reference: numpy's own median (np.median), a sort-and-slice trimmed mean and np.linalg.norm-free
// clipping, all in float64 with contributors in peer-ID order and one cast to float32.
const REFERENCE = `
import json, sys
import numpy as np
d = json.load(sys.stdin)
cs = sorted(d["contributions"], key=lambda c: c["peerId"])
names = sorted(cs[0]["tensors"])
ref = {n: np.array(d["reference"][n], dtype=np.float32).astype(np.float64) for n in names} if d["reference"] else None
def stack(n):
    return np.stack([np.array(c["tensors"][n], dtype=np.float32).astype(np.float64) for c in cs])
out = {}
if d["method"] == "clipped-fedavg":
    total = sum(c["samples"] for c in cs)
    coef = []
    for c in cs:
        sq = np.concatenate([(np.array(c["tensors"][n], dtype=np.float32).astype(np.float64) - ref[n]) ** 2 for n in names])
        norm = np.sqrt(np.cumsum(sq)[-1])  # sequential sum, the order the spec fixes
        coef.append((c["samples"] / total) * (min(1.0, d["clipNorm"] / norm)))
for n in names:
    X = stack(n)
    if d["method"] == "median":
        m = np.median(X, axis=0)
    elif d["method"] == "trimmed-mean":
        k = d["k"]
        S = np.sort(X, axis=0)[k:len(cs) - k]
        acc = np.zeros(X.shape[1])
        for row in S:
            acc = acc + row
        m = acc / S.shape[0]
    else:
        acc = np.zeros(X.shape[1])
        for c_i, row in zip(coef, X):
            acc = acc + c_i * (row - ref[n])
        m = ref[n] + acc
    out[n] = [float(v) for v in m.astype(np.float32)]
print(json.dumps(out))`;

function reference(
  method: MergeMethod,
  cs: Contribution[],
  extra: { k?: number; clipNorm?: number; reference?: NamedTensors },
): Record<string, number[]> {
  return runPython(REFERENCE, {
    method,
    k: extra.k,
    clipNorm: extra.clipNorm,
    reference: extra.reference ? tensorsJson(extra.reference) : null,
    contributions: cs.map((c) => ({ peerId: c.peerId, samples: c.samples, tensors: tensorsJson(c.tensors) })),
  });
}

function expectEqual(merged: NamedTensors, expected: Record<string, number[]>): void {
  for (const [name, shape] of layout) {
    expect(merged.get(name)!.shape).toEqual(shape);
    expect([...merged.get(name)!.data]).toEqual(expected[name]);
  }
}

const mergeError = (fn: () => unknown): MergeError => thrownBy(MergeError, fn);

describe('robust merges against numpy', () => {
  beforeEach((ctx) => skipIfMissing(ctx, pythonMissing('numpy')));
  it('median equals np.median bit for bit, odd and even counts', () => {
    expectEqual(mergeByMethod('median', five), reference('median', five, {}));
    expectEqual(mergeByMethod('median', six), reference('median', six, {}));
  });

  it('trimmed mean equals a numpy sort-and-slice mean bit for bit', () => {
    expectEqual(mergeByMethod('trimmed-mean', five, { trim: 1 }), reference('trimmed-mean', five, { k: 1 }));
    expectEqual(mergeByMethod('trimmed-mean', six, { trim: 2 }), reference('trimmed-mean', six, { k: 2 }));
    expectEqual(mergeByMethod('trimmed-mean', six, { trim: 0 }), reference('trimmed-mean', six, { k: 0 }));
  });

  it('clipped FedAvg equals numpy bit for bit, some updates clipped and some not', () => {
    const norms = six.map((c) => deltaNorm(c.tensors, model)).sort((a, b) => a - b);
    const clipNorm = norms[2]; // the three largest deltas get clipped
    const merged = mergeByMethod('clipped-fedavg', six, { reference: model, clipNorm });
    expectEqual(merged, reference('clipped-fedavg', six, { clipNorm, reference: model }));
    const unclipped = mergeByMethod('clipped-fedavg', six, { reference: model, clipNorm: norms[5] * 2 });
    expectEqual(unclipped, reference('clipped-fedavg', six, { clipNorm: norms[5] * 2, reference: model }));
  });

  it('deltaNorm equals numpy within float64 rounding', () => {
    const expected = runPython<number[]>(
      `import json, sys
import numpy as np
d = json.load(sys.stdin)
print(json.dumps([float(np.linalg.norm(np.concatenate([np.array(c[n], dtype=np.float32).astype(np.float64) - np.array(d["ref"][n], dtype=np.float32) for n in sorted(c)]))) for c in d["cs"]]))`,
      { ref: tensorsJson(model), cs: six.map((c) => tensorsJson(c.tensors)) },
    );
    six.forEach((c, i) => expect(deltaNorm(c.tensors, model)).toBeCloseTo(expected[i], 12));
  });
});

describe('robust merges by hand', () => {
  const t = (peerId: string, values: number[], samples = 1): Contribution => ({
    peerId,
    samples,
    tensors: vector(values),
  });
  const w = (m: NamedTensors) => [...m.get('w')!.data];

  it('takes the middle value, or the mean of the two middle values for an even count', () => {
    expect(w(mergeByMethod('median', [t('a', [1, -4]), t('b', [5, 0]), t('c', [3, 9])]))).toEqual([3, 0]);
    expect(w(mergeByMethod('median', [t('a', [1]), t('b', [2]), t('c', [3]), t('d', [10])]))).toEqual([2.5]);
  });

  it('ignores sample counts in the median and trimmed mean', () => {
    const cs = [t('a', [1], 1_000_000), t('b', [2]), t('c', [3])];
    expect(w(mergeByMethod('median', cs))).toEqual([2]);
    expect(w(mergeByMethod('trimmed-mean', cs, { trim: 1 }))).toEqual([2]);
  });

  it('drops the k largest and k smallest per coordinate', () => {
    const cs = [t('a', [1, 7]), t('b', [2, 7]), t('c', [3, 1]), t('d', [100, 4]), t('e', [-50, 1])];
    expect(w(mergeByMethod('trimmed-mean', cs, { trim: 1 }))).toEqual([2, 4]);
    expect(w(mergeByMethod('trimmed-mean', cs, { trim: 0.2 }))).toEqual([2, 4]); // ⌊0.2 · 5⌋ = 1
  });

  it('clips each delta to clipNorm before the sample-weighted mean', () => {
    // Deltas (3, 4) with norm 5 → scaled by 1/5; (0, 1) with norm 1 is kept; equal samples.
    const merged = mergeByMethod('clipped-fedavg', [t('a', [13, 24]), t('b', [10, 21])], {
      reference: vector([10, 20]),
      clipNorm: 1,
    });
    expect(w(merged)).toEqual([Math.fround(10 + 0.5 * 0.2 * 3), Math.fround(20 + 0.5 * 0.2 * 4 + 0.5)]);
  });

  it('keeps a sign-flipped outlier from moving the median and the trimmed mean', () => {
    const honest = [1, 1.1, 0.9, 1.05].map((v, i) => t(`h${i}`, [v]));
    const cs = [...honest, t('x', [-10], 1000)];
    expect(w(mergeByMethod('fedavg', cs))[0]).toBeLessThan(-9);
    expect(w(mergeByMethod('median', cs))).toEqual([1]);
    const f = Math.fround; // the inputs are float32
    expect(w(mergeByMethod('trimmed-mean', cs, { trim: 1 }))).toEqual([f((f(0.9) + 1 + f(1.05)) / 3)]);
  });

  it('gives byte-identical output for any input order, signed zeros included', () => {
    const zeros = [t('a', [-0, 0]), t('b', [0, -0]), t('c', [-0, -0])];
    const options: MergeOptions = { trim: 1, reference: model, clipNorm: 0.5 };
    const next = rng(7);
    for (const method of ['median', 'trimmed-mean', 'clipped-fedavg'] as const) {
      const hash = hashTensors(mergeByMethod(method, six, options));
      for (let i = 0; i < 5; i++) {
        const shuffled = [...six].sort(() => next() - 0.5);
        expect(hashTensors(mergeByMethod(method, shuffled, options))).toBe(hash);
      }
    }
    const zeroHash = hashTensors(mergeByMethod('median', zeros));
    expect(hashTensors(mergeByMethod('median', [...zeros].reverse()))).toBe(zeroHash);
  });

  it('rejects a merge configuration that does not fit', () => {
    const three = [t('a', [1]), t('b', [2]), t('c', [3])];
    expect(mergeError(() => mergeByMethod('trimmed-mean', three, { trim: 2 })).message).toMatch(
      /needs more than 4/,
    );
    expect(mergeError(() => mergeByMethod('trimmed-mean', three)).code).toBe('MERGE_CONFIG');
    expect(mergeError(() => mergeByMethod('trimmed-mean', three, { trim: 0.7 })).code).toBe('MERGE_CONFIG');
    expect(mergeError(() => mergeByMethod('trimmed-mean', three, { trim: 1.5 })).code).toBe('MERGE_CONFIG');
    expect(mergeError(() => mergeByMethod('clipped-fedavg', three, { clipNorm: 1 })).message).toMatch(
      /needs reference/,
    );
    expect(
      mergeError(() => mergeByMethod('clipped-fedavg', three, { reference: vector([0]) })).message,
    ).toMatch(/needs clipNorm/);
    expect(
      mergeError(() => mergeByMethod('clipped-fedavg', three, { reference: vector([0]), clipNorm: 0 })).code,
    ).toBe('MERGE_CONFIG');
    expect(
      mergeError(() => mergeByMethod('clipped-fedavg', three, { reference: vector([0, 1]), clipNorm: 1 }))
        .code,
    ).toBe('MERGE_SHAPE_MISMATCH');
    expect(mergeError(() => mergeByMethod('median', [])).code).toBe('MERGE_EMPTY');
  });

  it('turns a trim fraction into a count per number of contributors', () => {
    expect(trimCount(0.2, 10)).toBe(2);
    expect(trimCount(0.2, 4)).toBe(0);
    expect(trimCount(0.3, 10)).toBe(3);
    expect(trimCount(3, 7)).toBe(3);
  });
});
