import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { NamedTensors } from '../../src/core/index.js';
import { CheckpointManifestSchema, makeCheckpoint } from '../../src/storage/index.js';

const tensors: NamedTensors = new Map([
  ['b', { shape: [2], data: Float32Array.from([1, 2]) }],
  ['a', { shape: [1, 1], data: Float32Array.from([0.5]) }],
]);

describe('makeCheckpoint', () => {
  it('derives the format, time, tensor list and hash from the tensors', () => {
    const fields = {
      id: 'round-000003',
      round: 3,
      modelConfig: { arch: 'mlp' },
      keyFingerprint: 'ab'.repeat(16),
      preprocessing: null,
      classNames: ['x', 'y'],
      metrics: { mergedValAccuracy: 0.75 },
      commitHash: 'cd'.repeat(32),
    };
    const cp = makeCheckpoint(tensors, fields, new Date(Date.UTC(2026, 10, 27)));
    // SHA-256 over name, 0, shape, 0, little-endian float32 bytes, in sorted name order, written out by hand.
    const hand = createHash('sha256')
      .update('a\0' + '1,1\0')
      .update(Uint8Array.from([0x00, 0x00, 0x00, 0x3f])) // 0.5
      .update('b\0' + '2\0')
      .update(Uint8Array.from([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40])) // 1, 2
      .digest('hex');
    expect(cp.manifest).toEqual({
      ...fields,
      format: 'swarmd-checkpoint',
      version: 1,
      createdAt: '2026-11-27T00:00:00.000Z',
      tensorsHash: hand,
      tensors: [
        { name: 'b', shape: [2], byteLength: 8 },
        { name: 'a', shape: [1, 1], byteLength: 4 },
      ],
    });
    expect(CheckpointManifestSchema.parse(cp.manifest)).toEqual(cp.manifest);
    expect(cp.tensors).toBe(tensors);
  });
});
