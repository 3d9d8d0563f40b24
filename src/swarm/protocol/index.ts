/**
 * Swarm protocol, the pure half of the swarm concern: wire messages, topic sealing, deterministic merges (FedAvg and robust rules), update validation,
 * aggregator rotation, signed round commits, content-addressed chunks and the round state machine. Nothing
 * here does I/O, reads a clock or draws randomness on its own; the libp2p host drives it.
 */
export { SEAL_VERSION, SealError, deriveTopicKey, open, seal } from './seal.js';
export { HashSchema, PeerIdSchema } from './schemas.js';
export { compareIds } from './ids.js';
export {
  MAX_CHUNK_BYTES,
  MAX_GOSSIP_UPDATE_BYTES,
  pushedByGossip,
  MAX_GOSSIP_MESSAGE_BYTES,
  ROUND_PHASES,
  ExcludedSchema,
  RoundCommitSchema,
  SignedCommitSchema,
  CertificateSchema,
  GenesisSchema,
  LEGACY_WIRE_VERSION,
  WIRE_VERSION,
  WireError,
  WireMessageSchema,
  decodeLegacyCommitRecord,
  decodeMessage,
  encodeMessage,
} from './wire.js';
export type {
  DecodeContext,
  DecodeRejection,
  DecodeResult,
  FetchRequest,
  FetchResponse,
  MessageOf,
  RoundPhase,
  UpdateManifest,
  WireMessage,
  WireMessageType,
  Certificate,
  Evidence,
  Genesis,
  Vote,
  VoteMessage,
} from './wire.js';
export {
  VoteTally,
  certify,
  defaultCertQuorum,
  uncertified,
  verifyCertificate,
  verifyEvidence,
  voteBytes,
} from './certificate.js';
export type {
  CertificateCheck,
  CertificateContext,
  CertificateRejection,
  TallyResult,
  VerifySignature,
} from './certificate.js';
export {
  MERGE_METHODS,
  MODEL_MERGE_METHODS,
  MergeError,
  clippedFedAvg,
  fedAvg,
  mergeByMethod,
  sumTensors,
} from './merge.js';
export type { Contribution, MergeMethod, MergeOptions } from './merge.js';
export { coordinateMedian, trimCount, trimmedMean } from './coordinate.js';
export { deltaNorm } from './delta.js';
export { EXCLUSION_REASONS, shapesOf, validateRound, validateUpdate } from './validate.js';
export { sameExclusions, sortExclusions } from './exclusions.js';
export type { NamedExclusion } from './exclusions.js';
export type {
  Exclusion,
  ExclusionReason,
  RoundPolicy,
  RoundValidation,
  UpdateCheck,
  UpdatePolicy,
} from './validate.js';
export { capSampleWeights } from './sample-cap.js';
export { RMS_MULTIPLE, STATS_TENSORS, validateStatsRound } from './stats-check.js';
export type { SampleCap } from './sample-cap.js';
export { aggregatorForAttempt, aggregatorOrder, rendezvousKey } from './aggregator.js';
export {
  canonicalCommitBytes,
  checkCommit,
  checkCommitStructure,
  commitHash,
  createCommit,
  genesisDifference,
  namedUpdates,
  signCommit,
  sortContributors,
  verifyCommitSignature,
} from './commit.js';
export type {
  CommitCheck,
  CommitContext,
  CommitRejection,
  CommitStructureContext,
  Contributor,
  RoundCommit,
  SignedCommit,
} from './commit.js';
export { ChunkAssembler, ChunkError, sha256Hex, splitIntoChunks } from './chunks.js';
export type { AddResult, Chunk, ExpectedUpdate, MissingChunk, SplitUpdate } from './chunks.js';
export { STATS_ROUND, counted, initialRoundState, roundKind, step } from './rounds.js';
export { DEFAULT_IGNORE_AFTER_POINTS, MemberScores, OFFENCES, RateLimiter, RecentSet } from './conduct.js';
export type { MemberConduct, Offence } from './conduct.js';
export { checkTurn, screenCommit, turnToleranceMs } from './turn.js';
export type { CommitScreen, TurnCheck } from './turn.js';
export type {
  DropReason,
  Effect,
  RoundConfig,
  RoundEvent,
  RoundState,
  StepResult,
  Update,
} from './round-types.js';
export { commitRecord, commitRecordBytes, commitSummary, decodeCommitRecord, verifyLog } from './log.js';
export type { CommitRecord, LogContext } from './log.js';
export { planMerge, recomputeMerge } from './recompute.js';
export { AuditRecordSchema, RECORD_FORMAT, auditRecord, verifyAuditRecord } from './record.js';
export type { AuditRecordJson, RecordCheck, RecordContext } from './record.js';
export type { HeldUpdates, MergePolicy, Recomputed } from './recompute.js';
export { encodeContribution, readContribution } from './update-bytes.js';
export type { ReadContribution } from './update-bytes.js';
export * from './secagg/index.js';
export * from './privacy/index.js';
