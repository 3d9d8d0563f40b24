import type { NamedTensors } from '../../src/core/index.js';

/** mulberry32, seeded so reference inputs are the same on every run. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded float32 tensors of this layout; `value` draws each element (default: signs and magnitudes 1e-3..1e3). */
export function randomTensors(
  layout: readonly (readonly [string, readonly number[]])[],
  seed: number,
  value: (next: () => number) => number = (next) => (next() - 0.5) * 10 ** (next() * 6 - 3),
): NamedTensors {
  const next = rng(seed);
  const tensors: NamedTensors = new Map();
  for (const [name, shape] of layout) {
    const n = shape.reduce((a, b) => a * b, 1);
    tensors.set(name, { shape: [...shape], data: Float32Array.from({ length: n }, () => value(next)) });
  }
  return tensors;
}

/** One-tensor model `w` holding these values, for hand-worked cases. */
export function vector(values: readonly number[]): NamedTensors {
  return new Map([['w', { shape: [values.length], data: Float32Array.from(values) }]]);
}

/** Tensors as JSON for a Python reference: name → plain number array. */
export function tensorsJson(tensors: NamedTensors): Record<string, number[]> {
  return Object.fromEntries([...tensors].map(([n, t]) => [n, [...t.data]]));
}
