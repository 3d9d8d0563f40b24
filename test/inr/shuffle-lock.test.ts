import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { INRLinear, deriveInputShuffle, deriveSigns } from '../../src/inr/index.js';
import { PYTHON_KEY_WORDS } from '../helpers/python-hkdf.js';
import { pythonMissing, runPython } from '../helpers/python.js';
import { skipIfMissing } from '../helpers/skip.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 41 + 3) & 0xff);
const IN = 7;
const UNITS = 5;

// Independent reference of the signed permutation: HKDF with hmac, the word stream, Fisher–Yates, sign bits.
const PYTHON_SHUFFLE = String.raw`
${PYTHON_KEY_WORDS}
def stream(key, info):
    return words(hkdf_sha256(key, b"swarmd-infl-v1", info.encode("utf-8"), 32))

def permutation(key, info, n):
    s, a = stream(key, info), list(range(n))
    for i in range(n - 1, 0, -1):
        m = i + 1
        limit = (2 ** 32 // m) * m
        r = next(s)
        while r >= limit:
            r = next(s)
        j = r % m
        a[i], a[j] = a[j], a[i]
    return a

def signs(key, info, n):
    s, out, w = stream(key, info), [], 0
    for i in range(n):
        if i % 32 == 0:
            w = next(s)
        out.append(-1 if (w >> (31 - i % 32)) & 1 else 1)
    return out

req = json.load(sys.stdin)
key, layer, n = bytes.fromhex(req["key"]), req["layer"], req["n"]
info = "swarmd-lock-shuffle-v1/" + layer
print(json.dumps({"permutation": permutation(key, info + "/permutation", n), "signs": signs(key, info + "/signs", n)}))
`;

// Independent reference of the layer and its gradients: torch autograd in float64.
const TORCH_SHUFFLED_INR_LINEAR = String.raw`
import json, sys, math
import torch
req = json.load(sys.stdin)
t = lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True)
w = {name: t(v) for name, v in req["weights"].items()}
x = t(req["x"])
alpha, scale, levels, depth = req["alpha"], req["deltaScale"], req["levels"], req["depth"]
sigma = torch.tensor(req["shuffle"]["permutation"], dtype=torch.long)
s = torch.tensor(req["shuffle"]["signs"], dtype=torch.float64)
xs = x[:, sigma] * s
y = alpha * (xs @ w["kernel"] + w["bias"])
perm = torch.tensor(req["permutation"], dtype=torch.float64)
n = len(perm)
c = 2.0 * perm / (n - 1) - 1.0
cols = []
for l in range(levels):
    cols += [torch.sin(2.0 ** l * math.pi * c), torch.cos(2.0 ** l * math.pi * c)]
h = torch.stack(cols, dim=1)
for k in range(depth):
    h = h @ w[f"inr_{k}/kernel"] + w[f"inr_{k}/bias"]
    if k < depth - 1:
        h = torch.relu(h)
y = y + (1.0 - alpha) * scale * h[:, 0]
loss = (y * torch.tensor(req["r"], dtype=torch.float64)).sum()
loss.backward()
print(json.dumps({"y": y.tolist(), "dx": x.grad.tolist(), "dw": {k: v.grad.tolist() for k, v in w.items()}}))
`;

const PERMUTATION = [2, 4, 0, 1, 3];
const shuffle = deriveInputShuffle(KEY, 'hidden_1', IN);

function layer(): INRLinear {
  const l = new INRLinear({
    name: 'hidden_1',
    units: UNITS,
    alpha: 0.4,
    encodingLevels: 3,
    inrHidden: 6,
    inrLayers: 2,
    deltaScale: 1.5,
    permutation: PERMUTATION,
    inputShuffle: shuffle,
    seed: 5,
  });
  tf.tidy(() => void l.apply(tf.zeros([1, IN])));
  l.setWeights(l.getWeights().map((w, k) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 30 + k)));
  return l;
}

const maxAbsDiff = (a: number[], b: number[]): number =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

describe('the shuffle lock', () => {
  it('derives σ and s as an independent Python HKDF does, σ a permutation and s all ±1', (ctx) => {
    skipIfMissing(ctx, pythonMissing());
    const n = 77;
    const got = deriveInputShuffle(KEY, 'embed', n);
    const want = runPython<{ permutation: number[]; signs: number[] }>(PYTHON_SHUFFLE, {
      key: Buffer.from(KEY).toString('hex'),
      layer: 'embed',
      n,
    });
    expect([...got.permutation]).toEqual(want.permutation);
    expect([...got.signs]).toEqual(want.signs);
    expect(new Set(got.signs)).toEqual(new Set([-1, 1]));
  });

  it('keeps signs independent of the permutation and of other info strings', () => {
    expect([...deriveSigns(KEY, 'a', 64)]).not.toEqual([...deriveSigns(KEY, 'b', 64)]);
    expect([...deriveInputShuffle(KEY, 'embed', 64).permutation]).not.toEqual([
      ...deriveInputShuffle(KEY, 'output', 64).permutation,
    ]);
  });

  it('computes the layer and its gradients as torch autograd does (float64)', (ctx) => {
    skipIfMissing(ctx, pythonMissing('torch'));
    const l = layer();
    const x = tf.randomNormal([6, IN], 0, 1, 'float32', 8) as tf.Tensor2D;
    const r = tf.randomNormal([6, UNITS], 0, 1, 'float32', 9);
    const loss = () => tf.sum(tf.mul(l.apply(x) as tf.Tensor, r)) as tf.Scalar;
    const y = (l.apply(x) as tf.Tensor).arraySync() as number[][];
    const dx = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(l.apply(xi) as tf.Tensor, r)))(x);
    const { grads } = tf.variableGrads(
      loss,
      l.trainableWeights.map((w) => w.read() as tf.Variable),
    );
    const local = (name: string) => name.slice('hidden_1/'.length);
    const want = runPython<{ y: number[][]; dx: number[][]; dw: Record<string, number[]> }>(
      TORCH_SHUFFLED_INR_LINEAR,
      {
        weights: Object.fromEntries(l.weights.map((w) => [local(w.originalName), w.read().arraySync()])),
        x: x.arraySync(),
        r: r.arraySync(),
        shuffle: { permutation: [...shuffle.permutation], signs: [...shuffle.signs] },
        permutation: PERMUTATION,
        alpha: 0.4,
        deltaScale: 1.5,
        levels: 3,
        depth: 2,
      },
    );
    expect(maxAbsDiff(y.flat(), want.y.flat())).toBeLessThan(1e-5);
    expect(maxAbsDiff((dx.arraySync() as number[][]).flat(), want.dx.flat())).toBeLessThan(1e-4);
    for (const w of l.trainableWeights) {
      const got = Array.from(grads[(w.read() as tf.Variable).name].dataSync());
      expect(maxAbsDiff(got, [want.dw[local(w.originalName)]].flat(3) as number[])).toBeLessThan(1e-4);
    }
  });

  it('refuses a shuffle that does not fit the input width', () => {
    const l = new INRLinear({
      name: 'h',
      units: 2,
      alpha: 0.5,
      encodingLevels: 2,
      inrHidden: 4,
      inrLayers: 1,
      deltaScale: 1,
      permutation: null,
      inputShuffle: deriveInputShuffle(KEY, 'h', IN + 1),
      seed: 1,
    });
    expect(() => l.apply(tf.zeros([1, IN]))).toThrow(/permutation has 8 entries, expected 7/);
  });
});
