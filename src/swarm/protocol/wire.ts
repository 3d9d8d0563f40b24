import { Packr } from 'msgpackr';
import { z } from 'zod';
import { SwarmdError } from '../../core/index.js';
import { EXCLUSION_REASONS } from './exclusions.js';
import { MERGE_METHODS } from './methods.js';
import { HashSchema, PeerIdSchema } from './schemas.js';
import { SecAggMessageBodySchema } from './secagg/messages.js';

/*
 * Wire messages (gossip payloads and direct request/response), msgpack-encoded and validated with zod once,
 * here, where they enter. Every message is an envelope { v, type, swarmId, from, round, body }; the types
 * below are derived from the schemas so the code and the format cannot drift apart.
 */
/** 2: commits take effect only with a quorum certificate (votes, evidence, genesis); 1 had none. */
export const WIRE_VERSION = 2;
/** Round-log entries written before certificates (wire version 1): readable, never certified. */
export const LEGACY_WIRE_VERSION = 1;
/** Largest chunk of an update; js gossipsub refuses messages over ~4 MiB. */
export const MAX_CHUNK_BYTES = 1024 * 1024;
/**
 * Updates larger than this are pulled by the receivers over the direct protocol instead of pushed through
 * gossipsub. The mesh forwards a gossip message up to min(D = 6, n − 1) times per receiver (a 1 MB update
 * cost 114 copies on the wire at 20 sites against 19 pulled) and pushing queues every chunk at once, while a
 * pull sends exactly one copy per receiver at the pace the receiver asks (npm run bench). Small updates (a
 * linear model, feature statistics of a few thousand features) still go by gossip: one message, no round trip.
 */
export const MAX_GOSSIP_UPDATE_BYTES = 64 * 1024;

/** Whether an update's chunk travels by gossip (its author pushes it) or is pulled by every receiver. */
export function pushedByGossip(m: { sizeBytes: number; chunkHashes: readonly string[] }): boolean {
  return m.chunkHashes.length === 1 && m.sizeBytes <= MAX_GOSSIP_UPDATE_BYTES;
}
/** A gossip message: one chunk plus envelope overhead. Direct responses (a log) may pass a larger limit. */
export const MAX_GOSSIP_MESSAGE_BYTES = MAX_CHUNK_BYTES + 64 * 1024;
/** Where a peer is in the round cycle; `stalled` means the round cannot finish without help. */
export const ROUND_PHASES = ['idle', 'training', 'collecting', 'committing', 'applying', 'stalled'] as const;
export type RoundPhase = (typeof ROUND_PHASES)[number];

const packr = new Packr({ useRecords: false });

const SwarmIdSchema = z.string().min(1).max(128);
const RoundSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const CountSchema = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const BytesSchema = z.custom<Uint8Array>((v) => v instanceof Uint8Array, 'expected bytes');

export const ContributorSchema = z
  .object({ peerId: PeerIdSchema, updateHash: HashSchema, samples: CountSchema.positive() })
  .strict();
/** An update the aggregator left out, and why (every verifier recomputes the same list). */
export const ExcludedSchema = z
  .object({ peerId: PeerIdSchema, updateHash: HashSchema, reason: z.enum(EXCLUSION_REASONS) })
  .strict();
/**
 * What the first commit of a chain binds: a hash per swarm-config field (members, quorum, model, …) and the
 * hash of them all, so a peer with another config refuses the chain naming the field that differs.
 */
export const GenesisSchema = z
  .object({
    configHash: HashSchema,
    fields: z.record(z.string().min(1).max(64), HashSchema).refine((f) => Object.keys(f).length <= 64),
  })
  .strict();
export const RoundCommitSchema = z
  .object({
    swarmId: SwarmIdSchema,
    round: RoundSchema,
    prevHash: HashSchema.nullable(),
    contributors: z.array(ContributorSchema).min(1).max(4096),
    /** Absent or empty: nothing was left out (commits from before exclusions were named have none). */
    excluded: z.array(ExcludedSchema).max(4096).optional(),
    method: z.enum(MERGE_METHODS),
    kind: z.enum(['model', 'stats']),
    mergedHash: HashSchema,
    aggregator: PeerIdSchema,
    createdAt: CountSchema,
    /** Round 0 only: the swarm config this chain was started under. */
    genesis: GenesisSchema.optional(),
    /**
     * 2: the commit's hash covers what it merges, not who proposed it or when (two aggregators' commits of
     * the same merge are one commit to vote for). Absent: a commit from before certificates.
     */
    proto: z.literal(2).optional(),
  })
  .strict();
const SignatureSchema = BytesSchema.refine((b) => b.length <= 1024, 'signature over 1 KiB');
/** One member's vote: its signature over (swarm, round, commit hash), given after it checked the merge. */
export const VoteSchema = z.object({ peerId: PeerIdSchema, signature: SignatureSchema }).strict();
/** Votes of distinct members, in peer-ID order, for one commit: final once they reach the quorum. */
export const CertificateSchema = z.object({ votes: z.array(VoteSchema).min(1).max(4096) }).strict();
export const SignedCommitSchema = z
  .object({
    commit: RoundCommitSchema,
    signature: SignatureSchema,
    /** Present in the round log (and what it serves): the quorum's votes that made the commit final. */
    certificate: CertificateSchema.optional(),
  })
  .strict();
const VoteBody = z.object({ commitHash: HashSchema, signature: SignatureSchema }).strict();
/** Two votes of one member for different commits of one round: proof it signed twice. */
const EvidenceBody = z
  .object({ peerId: PeerIdSchema, votes: z.tuple([VoteBody, VoteBody]) })
  .strict()
  .refine((b) => b.votes[0].commitHash !== b.votes[1].commitHash, 'two votes for one commit prove nothing');

const HelloBody = z
  .object({
    committedRound: RoundSchema.nullable(),
    commitHash: HashSchema.nullable(),
    samples: CountSchema,
    /** The sender's listen multiaddrs: members dial each other directly instead of relying on relays. */
    addrs: z.array(z.string().min(1).max(256)).max(16).optional(),
    /** The sender's update for the envelope's round, once published: a peer that missed it fetches it. */
    updateHash: HashSchema.optional(),
  })
  .strict()
  .refine((b) => (b.committedRound === null) === (b.commitHash === null), 'round and hash come together');
const HeartbeatBody = z.object({ phase: z.enum(ROUND_PHASES) }).strict();
/** Announces an update (model weights) or a feature-statistics contribution; its bytes follow as chunks. */
const manifestBody = <K extends 'model' | 'stats'>(kind: K) =>
  z
    .object({
      kind: z.literal(kind),
      updateHash: HashSchema,
      samples: CountSchema.positive(),
      sizeBytes: CountSchema,
      chunkHashes: z.array(HashSchema).min(1).max(65536),
      baseCommitHash: HashSchema.nullable(),
    })
    .strict();
const ChunkBody = z
  .object({
    updateHash: HashSchema,
    hash: HashSchema,
    index: CountSchema,
    bytes: BytesSchema.refine((b) => b.length <= MAX_CHUNK_BYTES, 'chunk over 1 MiB'),
  })
  .strict();
const FetchRequestBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.enum(['chunk', 'update', 'commit']), hash: HashSchema }).strict(),
  z.object({ kind: z.literal('log'), fromRound: RoundSchema }).strict(),
]);
const FetchResponseBody = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('chunk'), hash: HashSchema, bytes: ChunkBody.shape.bytes }).strict(),
  z
    .object({ kind: z.literal('update'), manifest: z.union([manifestBody('model'), manifestBody('stats')]) })
    .strict(),
  z.object({ kind: z.literal('commit'), signed: SignedCommitSchema }).strict(),
  z.object({ kind: z.literal('log'), commits: z.array(SignedCommitSchema).max(1024) }).strict(),
  z
    .object({ kind: z.literal('not-found'), hash: HashSchema.optional(), fromRound: RoundSchema.optional() })
    .strict(),
]);

const envelope = <T extends string, B extends z.ZodTypeAny>(type: T, body: B) =>
  z
    .object({
      v: z.literal(WIRE_VERSION),
      type: z.literal(type),
      swarmId: SwarmIdSchema,
      from: PeerIdSchema,
      round: RoundSchema,
      body,
    })
    .strict();

export const WireMessageSchema = z.discriminatedUnion('type', [
  envelope('hello', HelloBody),
  envelope('heartbeat', HeartbeatBody),
  envelope('update-manifest', manifestBody('model')),
  envelope('stats', manifestBody('stats')),
  envelope('chunk', ChunkBody),
  envelope('commit', SignedCommitSchema),
  envelope('vote', VoteBody),
  envelope('evidence', EvidenceBody),
  envelope('fetch-request', FetchRequestBody),
  envelope('fetch-response', FetchResponseBody),
  /** Secure aggregation set-up and unmasking (aggregation: secure); masked vectors travel as updates. */
  envelope('secagg', SecAggMessageBodySchema),
]);

export type WireMessage = z.infer<typeof WireMessageSchema>;
export type WireMessageType = WireMessage['type'];
export type MessageOf<T extends WireMessageType> = Extract<WireMessage, { type: T }>;
export type RoundCommit = z.infer<typeof RoundCommitSchema>;
export type Contributor = z.infer<typeof ContributorSchema>;
export type SignedCommit = z.infer<typeof SignedCommitSchema>;
export type Genesis = z.infer<typeof GenesisSchema>;
export type Vote = z.infer<typeof VoteSchema>;
export type Certificate = z.infer<typeof CertificateSchema>;
export type VoteMessage = MessageOf<'vote'>;
export type Evidence = MessageOf<'evidence'>['body'];
/** Body of update-manifest / stats: what a receiver needs to assemble and check the update's bytes. */
export type UpdateManifest = MessageOf<'update-manifest' | 'stats'>['body'];
export type FetchRequest = MessageOf<'fetch-request'>['body'];
export type FetchResponse = MessageOf<'fetch-response'>['body'];

const MESSAGE_TYPES: ReadonlySet<string> = new Set(WireMessageSchema.options.map((o) => o.shape.type.value));
/** Gossip about a round's work; older rounds are of no use once a peer has moved past them. */
const ROUND_CHECKED: ReadonlySet<WireMessageType> = new Set([
  'update-manifest',
  'stats',
  'chunk',
  'commit',
  'vote',
]);

export type DecodeRejection =
  | 'oversized'
  | 'malformed'
  | 'unknown-version'
  | 'unknown-type'
  | 'inconsistent'
  | 'wrong-swarm'
  | 'non-member'
  | 'stale-round';

export interface DecodeContext {
  swarmId: string;
  maxBytes: number;
  members: ReadonlySet<string>;
  /** Messages about rounds before this one are stale (update-manifest, stats, chunk, commit, vote). */
  minRound?: number;
  /** Also accept this older version (reading a round log written before certificates). */
  legacy?: boolean;
}

export type DecodeResult =
  { ok: true; msg: WireMessage } | { ok: false; reason: DecodeRejection; detail?: string };

/** Codes: WIRE_INVALID (a message this peer built does not match the schema: a bug). */
export class WireError extends SwarmdError {}

/** Validates and encodes a message; throws WireError on a message that would be rejected by its receiver. */
export function encodeMessage(msg: WireMessage): Uint8Array {
  const parsed = WireMessageSchema.safeParse(msg);
  if (!parsed.success) {
    throw new WireError(
      'WIRE_INVALID',
      `refusing to send an invalid ${msg.type} message: ${summarize(parsed.error)}`,
    );
  }
  return packr.pack(parsed.data); // schema order: one encoding per message
}

/** Decodes untrusted bytes. Never throws: every failure is one of the DecodeRejection reasons. */
export function decodeMessage(bytes: Uint8Array, ctx: DecodeContext): DecodeResult {
  if (bytes.length > ctx.maxBytes) return reject('oversized', `${bytes.length} > ${ctx.maxBytes} bytes`);
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch (err) {
    return reject('malformed', err instanceof Error ? err.message : 'not msgpack');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return reject('malformed', 'not a map');
  const { v, type } = raw as { v?: unknown; type?: unknown };
  const legacy = ctx.legacy === true && v === LEGACY_WIRE_VERSION;
  if (v !== WIRE_VERSION && !legacy) {
    if (typeof v !== 'number') return reject('malformed', `v=${describeValue(v)}`);
    return reject('unknown-version', `protocol ${describeValue(v)}; this peer speaks ${WIRE_VERSION}`);
  }
  if (typeof type === 'string' && !MESSAGE_TYPES.has(type)) return reject('unknown-type', type.slice(0, 64));
  const parsed = WireMessageSchema.safeParse(legacy ? { ...raw, v: WIRE_VERSION } : raw);
  if (!parsed.success) return reject('malformed', summarize(parsed.error));
  const msg = parsed.data;
  if (!isConsistent(msg)) return reject('inconsistent', 'envelope disagrees with its commit');
  if (msg.swarmId !== ctx.swarmId) return reject('wrong-swarm', msg.swarmId.slice(0, 64));
  if (!ctx.members.has(msg.from)) return reject('non-member', msg.from.slice(0, 64));
  if (ctx.minRound !== undefined && ROUND_CHECKED.has(msg.type) && msg.round < ctx.minRound) {
    return reject('stale-round', `round ${msg.round} < ${ctx.minRound}`);
  }
  return { ok: true, msg };
}

/**
 * A round-log entry written by protocol 1 (before certificates), as its signed commit; undefined for any
 * other bytes (so also for entries already of this version). Swarm and members are checked by the log's
 * other readers.
 */
export function decodeLegacyCommitRecord(bytes: Uint8Array): SignedCommit | undefined {
  let raw: unknown;
  try {
    raw = packr.unpack(bytes);
  } catch {
    return undefined;
  }
  const m = raw as { v?: unknown; type?: unknown; body?: unknown } | null;
  if (m === null || typeof m !== 'object' || m.v !== LEGACY_WIRE_VERSION || m.type !== 'commit')
    return undefined;
  const parsed = SignedCommitSchema.safeParse(m.body);
  return parsed.success ? parsed.data : undefined;
}

/** A commit's own swarm and round must be the envelope's, or the envelope checks would check nothing. */
function isConsistent(msg: WireMessage): boolean {
  if (msg.type !== 'commit') return true;
  return msg.body.commit.swarmId === msg.swarmId && msg.body.commit.round === msg.round;
}

/** A value from untrusted input, for a detail: objects can make String() throw (a toString that is not one). */
function describeValue(v: unknown): string {
  return typeof v === 'number' || typeof v === 'string' ? String(v).slice(0, 32) : typeof v;
}

function reject(reason: DecodeRejection, detail?: string): DecodeResult {
  return { ok: false, reason, detail };
}

function summarize(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
