import { beforeAll, describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import {
  architectureTensors,
  assertSameArchitecture,
  createTrainer,
  describeArchitecture,
  parseModelConfig,
  selectBackend,
  type LayerSpec,
} from '../../src/models/index.js';
import { taggedKey } from '../helpers/locked.js';

const layers: LayerSpec[] = [
  { dense: 16 },
  { layerNorm: true },
  { activation: 'relu' },
  { residual: [{ dense: 8, name: 'inner' }, { activation: 'tanh' }, { dense: 16 }] },
  { dropout: 0.1 },
];
const config = (extra: Record<string, unknown> = {}) =>
  parseModelConfig({ arch: 'layers', layers, inputDim: 5, numClasses: 3, ...extra });

/** The round-0 sum of several sites' architecture tensors, as the `sum` merge computes it. */
function summed(...sites: string[][]): NamedTensors {
  const all = sites.map(architectureTensors);
  return new Map(
    [...all[0].keys()].map((name) => {
      const data = new Float32Array(all[0].get(name)!.data.length);
      for (const t of all) t.get(name)!.data.forEach((v, i) => (data[i] += v));
      return [name, { shape: all[0].get(name)!.shape, data }];
    }),
  );
}

describe("a site's declared backbone", () => {
  beforeAll(() => selectBackend('wasm'));

  it('builds the declared layers, names dense layers in order and puts the lock into the named ones', async () => {
    const t = createTrainer(config({ inr: { layers: ['inner', 'output'] } }), {
      kind: 'key',
      key: taggedKey('a'),
    });
    const names = [...(await t.getWeights()).keys()];
    expect(names.filter((n) => n.endsWith('/kernel') && !n.includes('/inr_'))).toEqual([
      'dense_1/kernel',
      'inner/kernel',
      'dense_3/kernel',
      'output/kernel',
    ]);
    expect(names.some((n) => n.startsWith('inner/inr_'))).toBe(true); // INRLinear's Φ
    expect(names.some((n) => n.startsWith('dense_1/inr_'))).toBe(false);
    expect(names).toContain('norm_2/gamma');
    const out = await t.predict(new Float32Array(2 * 5).fill(0.5), 2);
    expect(out).toHaveLength(6); // softmax over 3 classes, 2 rows
    expect(out[0] + out[1] + out[2]).toBeCloseTo(1, 5);
    t.dispose();
  });

  it('refuses a residual block that changes the width, an unknown INR layer and an empty list', () => {
    const bad = [{ dense: 16 }, { residual: [{ dense: 8 }] }];
    expect(() =>
      createTrainer(
        parseModelConfig({ arch: 'layers', layers: bad, inputDim: 5, numClasses: 3, inr: null }),
        null,
      ),
    ).toThrow(/residual block must end as wide as it starts \(16\), but it ends with 8/);
    expect(() =>
      createTrainer(config({ inr: { layers: ['nope'] } }), { kind: 'key', key: taggedKey('a') }),
    ).toThrow(/inr.layers names nope.*dense_1, inner, dense_3, output/);
    expect(() => parseModelConfig({ arch: 'layers', inputDim: 5, numClasses: 3 })).toThrow(
      /arch layers needs its layers/,
    );
  });
});

describe('the architecture check at round 0', () => {
  const same = describeArchitecture(config());

  it('passes when every site builds the same model', () => {
    expect(() => assertSameArchitecture(same, summed(same, same, same), 'swarm.yaml')).not.toThrow();
  });

  it('names the first entry where a site differs: a layer, the input width, a layer count', () => {
    const tanh = describeArchitecture(
      parseModelConfig({
        arch: 'layers',
        layers: [layers[0], layers[1], { activation: 'tanh' }, layers[3], layers[4]],
        inputDim: 5,
        numClasses: 3,
      }),
    );
    expect(() => assertSameArchitecture(same, summed(same, same, tanh), 'swarm.yaml')).toThrow(
      /entry 7 of the architecture differs, where this site has "layer \{"activation":"relu"\}"/,
    );
    expect(() => assertSameArchitecture(tanh, summed(same, same, tanh), 'swarm.yaml')).toThrow(
      /"layer \{"activation":"tanh"\}"/,
    );
    const wider = describeArchitecture(config({ inputDim: 6 }));
    expect(() => assertSameArchitecture(same, summed(same, wider), 'swarm.yaml')).toThrow(
      /entry 1 .* "input 5"/,
    );
    const shorter = describeArchitecture(
      parseModelConfig({ arch: 'layers', layers: layers.slice(0, 4), inputDim: 5, numClasses: 3 }),
    );
    expect(() => assertSameArchitecture(shorter, summed(same, shorter), 'swarm.yaml')).toThrow(
      /entry 9 .*nothing \(it has 8 entries/,
    );
  });
});
