import fc from 'fast-check';

/*
 * Byte-level damage for property tests: bit flips, truncation, extension, splices. A damage is drawn apart
 * from the bytes it is applied to (fc.tuple(bytes, damage).map(applyDamage)), so shrinking replays it on
 * the same bytes; the result always differs from the input.
 */
export type Damage =
  | { kind: 'flip'; flips: { at: number; xor: number }[] }
  | { kind: 'cut'; keep: number }
  | { kind: 'extend'; tail: Uint8Array }
  | { kind: 'insert'; at: number; mid: Uint8Array };

export const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), {
      minLength: 1,
      maxLength: 8,
    }),
  }),
  fc.record({ kind: fc.constant('cut' as const), keep: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    mid: fc.uint8Array({ minLength: 1, maxLength: 32 }),
  }),
);

export function applyDamage([bytes, d]: readonly [Uint8Array, Damage]): Uint8Array {
  const n = bytes.length;
  switch (d.kind) {
    case 'flip': {
      if (n === 0) return Uint8Array.of(d.flips[0].xor);
      const out = Uint8Array.from(bytes);
      for (const f of d.flips) out[f.at % n] ^= f.xor;
      if (Buffer.from(out).equals(Buffer.from(bytes))) out[d.flips[0].at % n] ^= d.flips[0].xor; // flips cancelled
      return out;
    }
    case 'cut':
      return n === 0 ? Uint8Array.of(0) : bytes.slice(0, d.keep % n);
    case 'extend':
      return Uint8Array.from([...bytes, ...d.tail]);
    case 'insert': {
      const at = n === 0 ? 0 : d.at % n;
      return Uint8Array.from([...bytes.subarray(0, at), ...d.mid, ...bytes.subarray(at)]);
    }
  }
}
