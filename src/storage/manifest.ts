import { z } from 'zod';
import { hashTensors, type NamedTensors } from '../core/index.js';

/**
 * What a checkpoint says about itself. It names the key only by fingerprint: a checkpoint is safe to
 * share, and useless without the key file.
 */
export const CheckpointManifestSchema = z.object({
  format: z.literal('swarmd-checkpoint'),
  version: z.literal(1),
  id: z.string().min(1),
  /** Swarm round of a committed checkpoint; null for a local (single-site) one. */
  round: z.number().int().nonnegative().nullable(),
  createdAt: z.string(),
  modelConfig: z.record(z.unknown()),
  keyFingerprint: z.string(),
  tensorsHash: z.string().regex(/^[0-9a-f]{64}$/),
  tensors: z.array(
    z.object({ name: z.string(), shape: z.array(z.number().int()), byteLength: z.number().int() }),
  ),
  preprocessing: z.unknown(),
  classNames: z.array(z.string()),
  metrics: z.record(z.number()),
  dataHash: z.string().optional(),
  dataFile: z.string().optional(),
  backend: z.string().optional(),
  /** Hash of the swarm commit this checkpoint applies (round log entry), if any. */
  commitHash: z.string().optional(),
});

export type CheckpointManifest = z.infer<typeof CheckpointManifestSchema>;

export interface Checkpoint {
  manifest: CheckpointManifest;
  tensors: NamedTensors;
}

/** One entry of the round log (the hash chain of commits); the bytes are the swarm's signed commit. */
export interface LogEntry {
  round: number;
  hash: string;
  /** The previous entry's hash (null for the first round); absent in entries written before it was kept. */
  prevHash?: string | null;
  bytes: Uint8Array;
}

/** What a caller says about a new checkpoint; the rest (format, hash, tensor list, time) is derived. */
export type CheckpointFields = Omit<
  CheckpointManifest,
  'format' | 'version' | 'tensorsHash' | 'tensors' | 'createdAt'
> & { createdAt?: string };

/** A checkpoint of `tensors` whose manifest lists and hashes them. */
export function makeCheckpoint(
  tensors: NamedTensors,
  fields: CheckpointFields,
  now = new Date(),
): Checkpoint {
  return {
    manifest: {
      format: 'swarmd-checkpoint',
      version: 1,
      createdAt: now.toISOString(),
      ...fields,
      tensorsHash: hashTensors(tensors),
      tensors: [...tensors].map(([name, t]) => ({ name, shape: t.shape, byteLength: t.data.byteLength })),
    },
    tensors,
  };
}
