import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  SwarmdError,
  decodeTensors,
  encodeTensors,
  hashTensors,
  type NamedTensors,
} from '../../src/core/index.js';
import { decodeCheckpointFile, encodeCheckpointFile, type Checkpoint } from '../../src/storage/index.js';
import { applyDamage, damage } from '../helpers/damage.js';
import { keyOf } from './fixtures.js';

// Property tests of the checkpoint decoders: a sealed checkpoint file round-trips; any damage to it is
// refused with a typed error (never a TypeError/RangeError, never different weights or metadata).
const key = keyOf('property');

const tensors: fc.Arbitrary<NamedTensors> = fc
  .uniqueArray(
    fc.record({
      name: fc.string({ minLength: 1, maxLength: 12 }),
      shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
    }),
    { selector: (t) => t.name, minLength: 1, maxLength: 4 },
  )
  .chain((specs) =>
    fc.tuple(
      ...specs.map((s) =>
        fc
          .array(fc.float(), { minLength: size(s.shape), maxLength: size(s.shape) })
          .map((v) => [s.name, { shape: s.shape, data: Float32Array.from(v) }] as const),
      ),
    ),
  )
  .map((entries) => new Map(entries));

const checkpoint: fc.Arbitrary<Checkpoint> = fc
  .record({
    id: fc.string({ minLength: 1, maxLength: 20 }),
    round: fc.option(fc.nat({ max: 10_000 }), { nil: null }),
    classNames: fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }),
    metrics: fc.dictionary(fc.string({ maxLength: 8 }), fc.double({ noNaN: true, noDefaultInfinity: true })),
    means: fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { maxLength: 5 }),
    tensors,
  })
  .map((c) => ({
    manifest: {
      format: 'swarmd-checkpoint' as const,
      version: 1 as const,
      id: c.id,
      round: c.round,
      createdAt: '2026-11-27T00:00:00.000Z',
      modelConfig: { arch: 'mlp' },
      keyFingerprint: key.fingerprint,
      tensorsHash: hashTensors(c.tensors),
      tensors: [],
      preprocessing: { means: c.means },
      classNames: c.classNames,
      metrics: c.metrics,
    },
    tensors: c.tensors,
  }));

function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Runs `f`; it must throw a SwarmdError (a typed error with a message for the user), nothing else. */
function expectTypedError(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(SwarmdError);
}

const sameBits = (a: NamedTensors, b: NamedTensors) =>
  Buffer.from(encodeTensors(a)).equals(Buffer.from(encodeTensors(b)));

describe('checkpoint decoding (property)', () => {
  it('round-trips a sealed checkpoint file: the same manifest and the same bits', () => {
    fc.assert(
      fc.property(checkpoint, (cp) => {
        const back = decodeCheckpointFile(encodeCheckpointFile(cp, key), 'cp.swck', key);
        expect(back.manifest).toEqual(JSON.parse(JSON.stringify(cp.manifest)));
        expect(sameBits(back.tensors, cp.tensors)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses every damaged file with a typed error', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(
            checkpoint.map((cp) => encodeCheckpointFile(cp, key)),
            damage,
          )
          .map(applyDamage),
        (bad) => expectTypedError(() => decodeCheckpointFile(bad, 'cp.swck', key)),
      ),
      { numRuns: 500 },
    );
  });

  it('refuses arbitrary bytes with a typed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) =>
        expectTypedError(() => decodeCheckpointFile(bytes, 'cp.swck', key)),
      ),
      { numRuns: 500 },
    );
  });

  it('decodes tensor blobs or throws a typed error: damaged blobs and arbitrary headers alike', () => {
    const header = fc.oneof(
      fc.json(),
      fc
        .array(fc.record({ name: fc.anything(), shape: fc.anything() }, { requiredKeys: [] }), {
          maxLength: 3,
        })
        .map((h) => JSON.stringify(h)),
      fc
        .array(fc.record({ name: fc.string(), shape: fc.array(fc.integer(), { maxLength: 4 }) }), {
          maxLength: 3,
        })
        .map((h) => JSON.stringify(h)),
    );
    const blob = fc.tuple(header, fc.uint8Array({ maxLength: 64 })).map(([h, data]) => {
      const json = new TextEncoder().encode(h);
      const out = new Uint8Array(8 + json.length + data.length);
      out.set(new TextEncoder().encode('SWT1'), 0);
      new DataView(out.buffer).setUint32(4, json.length, true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    });
    const damagedValid = fc.tuple(tensors.map(encodeTensors), damage).map(applyDamage);
    fc.assert(
      fc.property(fc.oneof(blob, damagedValid), (bytes) => {
        try {
          decodeTensors(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(SwarmdError);
        }
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(tensors, (t) => {
        expect(sameBits(decodeTensors(encodeTensors(t)), t)).toBe(true);
      }),
    );
  });
});
