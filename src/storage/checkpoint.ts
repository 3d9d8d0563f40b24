import { hashTensors, type NamedTensors } from '../core/index.js';
import type { Checkpoint, CheckpointManifest } from './manifest.js';

/** What a caller says about a checkpoint; the format, the time and the tensor list and hash are derived. */
export type CheckpointFields = Omit<
  CheckpointManifest,
  'format' | 'version' | 'createdAt' | 'tensorsHash' | 'tensors'
>;

/** The one builder of checkpoint manifests: tensor list and hash always come from `tensors` themselves. */
export function makeCheckpoint(
  fields: CheckpointFields,
  tensors: NamedTensors,
  now = new Date(),
): Checkpoint {
  return {
    manifest: {
      format: 'swarmd-checkpoint',
      version: 1,
      ...fields,
      createdAt: now.toISOString(),
      tensorsHash: hashTensors(tensors),
      tensors: [...tensors].map(([name, t]) => ({ name, shape: t.shape, byteLength: t.data.byteLength })),
    },
    tensors,
  };
}
