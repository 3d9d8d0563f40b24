import { createHash } from 'node:crypto';
import { sortExclusions } from './exclusions.js';
import { compareIds } from './ids.js';
import type { Contributor, Genesis, RoundCommit, SignedCommit } from './wire.js';

/*
 * Round commits: what an aggregator signs and every peer checks before applying. Commits chain by
 * prevHash into the round log. The canonical bytes are a JSON array in a fixed field order (no key order
 * to disagree on), prefixed with a domain tag so a commit signature can never be replayed as anything else.
 * A commit's hash — what members vote for and the next commit chains onto — covers the merge only (round,
 * chain, contributors, exclusions, method, merged hash, genesis): aggregators that merged the same updates
 * propose one commit, so members whose views of the turn order differed still vote for the same thing.
 */
export type { Contributor, RoundCommit, SignedCommit } from './wire.js';

const COMMIT_TAG = 'swarmd-commit-v1';
const COMMIT_TAG_V2 = 'swarmd-commit-v2';
const CONTENT_TAG = 'swarmd-merge-v2';

/** Builds a commit with its contributors in peer-ID order, the order canonical bytes and merging use. */
export function createCommit(fields: RoundCommit): RoundCommit {
  const excluded = fields.excluded === undefined ? {} : { excluded: sortExclusions(fields.excluded) };
  return { ...fields, contributors: sortContributors(fields.contributors), ...excluded, proto: 2 };
}

/** Every update a commit names, merged or excluded: a verifier needs them all to recompute it. */
export function namedUpdates(c: RoundCommit): { peerId: string; updateHash: string }[] {
  return [...c.contributors, ...(c.excluded ?? [])];
}

export function sortContributors(contributors: readonly Contributor[]): Contributor[] {
  return [...contributors].sort((a, b) => compareIds(a.peerId, b.peerId));
}

/** Deterministic bytes of a commit, what its aggregator signs: UTF-8 JSON of an array in a fixed order. */
export function canonicalCommitBytes(c: RoundCommit): Uint8Array {
  if (c.proto === 2) return json([COMMIT_TAG_V2, ...mergeFields(c), c.aggregator, c.createdAt]);
  return legacyCommitBytes(c);
}

/** What a commit merges, in a fixed order: the part of a commit its hash covers. */
function mergeFields(c: RoundCommit): unknown[] {
  const contributors = c.contributors.map((x) => [x.peerId, x.updateHash, x.samples]);
  const excluded = (c.excluded ?? []).map((x) => [x.peerId, x.updateHash, x.reason]);
  const genesis = c.genesis === undefined ? null : [c.genesis.configHash, sortedFields(c.genesis)];
  return [c.swarmId, c.round, c.prevHash, contributors, c.method, c.kind, c.mergedHash, excluded, genesis];
}

function json(v: unknown[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(v));
}

/** Commits from before certificates: the aggregator and time were part of the hash. */
function legacyCommitBytes(c: RoundCommit): Uint8Array {
  const contributors = c.contributors.map((x) => [x.peerId, x.updateHash, x.samples]);
  const fields = [COMMIT_TAG, c.swarmId, c.round, c.prevHash, contributors, c.method, c.kind];
  const tail = [c.mergedHash, c.aggregator, c.createdAt];
  // Exclusions are signed when there are any; without, the bytes (and hashes) are those of older commits.
  const excluded = (c.excluded ?? []).map((x) => [x.peerId, x.updateHash, x.reason]);
  // The genesis (round 0 of a certified chain) comes last, after the (possibly empty) exclusions.
  const genesis = c.genesis === undefined ? [] : [excluded, [c.genesis.configHash, sortedFields(c.genesis)]];
  const optional = genesis.length > 0 ? genesis : excluded.length ? [excluded] : [];
  return json([...fields, ...tail, ...optional]);
}

function sortedFields(g: Genesis): [string, string][] {
  return Object.entries(g.fields).sort(([a], [b]) => compareIds(a, b));
}

/**
 * The commit's identity, what members vote for and the next commit's prevHash: SHA-256 of what it merges
 * (of the whole signed form for a commit from before certificates).
 */
export function commitHash(commit: RoundCommit): string {
  const bytes = commit.proto === 2 ? json([CONTENT_TAG, ...mergeFields(commit)]) : legacyCommitBytes(commit);
  return createHash('sha256').update(bytes).digest('hex');
}

export async function signCommit(
  commit: RoundCommit,
  sign: (bytes: Uint8Array) => Promise<Uint8Array>,
): Promise<SignedCommit> {
  return { commit, signature: await sign(canonicalCommitBytes(commit)) };
}

/** True when the aggregator named in the commit signed exactly these canonical bytes. */
export async function verifyCommitSignature(
  signed: SignedCommit,
  verify: (peerId: string, bytes: Uint8Array, signature: Uint8Array) => Promise<boolean>,
): Promise<boolean> {
  return verify(signed.commit.aggregator, canonicalCommitBytes(signed.commit), signed.signature);
}

export type CommitRejection =
  | 'wrong-swarm'
  | 'wrong-round'
  | 'wrong-method'
  | 'bad-chain'
  | 'below-quorum'
  | 'unsorted-contributors'
  | 'duplicate-contributor'
  | 'non-member-contributor'
  | 'non-member-aggregator'
  | 'excluded-contributor'
  | 'out-of-turn'
  | 'genesis-mismatch'
  | 'old-protocol'
  | 'merged-hash-mismatch';

export type CommitCheck = { ok: true } | { ok: false; reason: CommitRejection; detail?: string };

export interface CommitStructureContext {
  expectedPrevHash: string | null;
  members: ReadonlySet<string>;
  minPeers: number;
  swarmId?: string;
  round?: number;
  method?: RoundCommit['method'];
  /** This peer's swarm config as a genesis: round 0 must carry exactly it, later rounds none. */
  genesis?: Genesis;
}

export interface CommitContext extends CommitStructureContext {
  /** The merged hash this peer computed from the updates the commit lists. */
  recomputedMergedHash: string;
}

/** Every check except the merged hash: what a peer can decide before it holds the updates. */
export function checkCommitStructure(signed: SignedCommit, ctx: CommitStructureContext): CommitCheck {
  const c = signed.commit;
  const fail = (reason: CommitRejection): CommitCheck => ({ ok: false, reason });
  if (c.proto !== 2) return fail('old-protocol');
  if (ctx.swarmId !== undefined && c.swarmId !== ctx.swarmId) return fail('wrong-swarm');
  if (ctx.round !== undefined && c.round !== ctx.round) return fail('wrong-round');
  if (ctx.method !== undefined && c.method !== ctx.method) return fail('wrong-method');
  if (c.prevHash !== ctx.expectedPrevHash) return fail('bad-chain');
  if (!ctx.members.has(c.aggregator)) return fail('non-member-aggregator');
  for (let i = 1; i < c.contributors.length; i++) {
    const order = compareIds(c.contributors[i - 1].peerId, c.contributors[i].peerId);
    if (order === 0) return fail('duplicate-contributor');
    if (order > 0) return fail('unsorted-contributors');
  }
  if (c.contributors.some((x) => !ctx.members.has(x.peerId))) return fail('non-member-contributor');
  // Each named update is a distinct member's, so a commit costs at most one fetch per member to check.
  const excluded = c.excluded ?? [];
  if (excluded.some((x) => !ctx.members.has(x.peerId))) return fail('non-member-contributor');
  const named = new Set(namedUpdates(c).map((x) => x.peerId));
  if (named.size !== c.contributors.length + excluded.length) return fail('excluded-contributor');
  if (c.contributors.length < ctx.minPeers) return fail('below-quorum');
  if (ctx.genesis !== undefined) {
    const differs = genesisDifference(c.genesis, ctx.genesis, c.round);
    if (differs !== null) return { ok: false, reason: 'genesis-mismatch', detail: differs };
  }
  return { ok: true };
}

/**
 * Why a commit's genesis is not this peer's (null: it is): round 0 must bind the same swarm config, field by
 * field; later rounds bind none (the chain carries the first one's).
 */
export function genesisDifference(theirs: Genesis | undefined, ours: Genesis, round: number): string | null {
  if (round !== 0) return theirs === undefined ? null : `round ${round} carries a genesis (only round 0 may)`;
  if (theirs === undefined) return 'round 0 binds no swarm config (a chain from before certificates)';
  if (theirs.configHash === ours.configHash) return null;
  const names = [...new Set([...Object.keys(theirs.fields), ...Object.keys(ours.fields)])].sort(compareIds);
  const fields = names.filter((n) => theirs.fields[n] !== ours.fields[n]);
  return `the chain was started under another swarm config: ${fields.join(', ') || 'its hash'} differ${fields.length === 1 ? 's' : ''} from this peer's`;
}

/** Full acceptance check of a commit whose signature was verified (verifyCommitSignature). */
export function checkCommit(signed: SignedCommit, ctx: CommitContext): CommitCheck {
  const structure = checkCommitStructure(signed, ctx);
  if (!structure.ok) return structure;
  if (signed.commit.mergedHash !== ctx.recomputedMergedHash) {
    return { ok: false, reason: 'merged-hash-mismatch' };
  }
  return { ok: true };
}
