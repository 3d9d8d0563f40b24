import { createHash } from 'node:crypto';
import { defaultCertQuorum, type Genesis } from '../swarm/index.js';
import type { SwarmConfig } from './config.js';

/*
 * What a swarm agrees on before its first round, as the chain's genesis: a hash per swarm-config field that
 * decides what the chain means (who the members are, how many must certify a commit, what model and merge,
 * how updates are aggregated and noised, how features are prepared) and the hash of them all. Round 0's commit
 * carries it, so a site started under a different config refuses the chain naming the field. Timings
 * (deadlines, commit timeouts, rounds to run) are left out: a consortium tunes them without a new chain.
 */

/** Votes that make a commit final: the configured certQuorum, or a strict majority of the members. */
export function certQuorumOf(swarm: Pick<SwarmConfig, 'certQuorum' | 'members'>): number {
  return swarm.certQuorum ?? defaultCertQuorum(swarm.members.length);
}

export function swarmGenesis(swarm: SwarmConfig): Genesis {
  const values: Record<string, unknown> = {
    swarmId: swarm.swarmId,
    members: swarm.members.map((m) => m.peerId).sort(),
    certQuorum: certQuorumOf(swarm),
    minPeers: swarm.minPeers,
    merge: {
      merge: swarm.merge,
      ...{ trim: swarm.trim, clipNorm: swarm.clipNorm, maxUpdateNorm: swarm.maxUpdateNorm },
      ...{ normMultiple: swarm.normMultiple, maxSampleWeight: swarm.maxSampleWeight },
    },
    aggregation: { aggregation: swarm.aggregation, secure: swarm.secure },
    privacy: swarm.privacy ?? null,
    preprocess: swarm.preprocess,
    model: swarm.model,
  };
  const fields = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, sha256(canonicalJson(v))]));
  return { configHash: sha256(canonicalJson(fields)), fields };
}

/** JSON with object keys sorted at every level and undefined fields dropped: one text per value. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
