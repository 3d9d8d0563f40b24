import { SwarmConfigSchema } from '../../src/node/index.js';

/** A valid swarm config of five members and quorum 3, for tests that vary one key on top of it. */
export const base = {
  swarmId: 'tcga-demo',
  pskFile: 'swarm.psk',
  members: ['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, peerId: name.repeat(52) })),
  minPeers: 3,
  model: { classNames: ['x', 'y'] },
};

/** The schema's messages for `base` with `extra` on top, as `path: message` ([] when it parses). */
export function problems(extra: Record<string, unknown>): string[] {
  const r = SwarmConfigSchema.safeParse({ ...base, ...extra });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}
