import { z } from 'zod';
import { bytesOf, HashSchema, PeerIdSchema, SignatureSchema } from '../schemas.js';
import { SHARE_VALUE_BYTES } from './shamir.js';

/*
 * Bodies of the secure-round messages, for the wire envelope { v, type, swarmId, from, round, body }.
 * Order in a round: advert (each contributor) → roster (the round's aggregator) → shares (each contributor)
 * → masked update (an ordinary update: chunks of residuesToBytes) → unmask request (aggregator) → consistency
 * signature (each sender) → reveal (each sender). Byte fields are exact lengths, so a malformed one is refused where it enters.
 */
const ENVELOPE_BYTES = 2 * SHARE_VALUE_BYTES + 16;
const MAX_MEMBERS = 4096;

/** Signed by the sender's identity key over advertBytes(ctx, advert). */
export const SecAggAdvertBodySchema = z
  .object({
    maskPublicKey: bytesOf(32),
    channelPublicKey: bytesOf(32),
    selfSeedCommitment: HashSchema,
    signature: SignatureSchema,
  })
  .strict();

/** The aggregator fixes the roster: every advert it collected, each still verifiable by its signature. */
export const SecAggRosterBodySchema = z
  .object({
    adverts: z
      .array(SecAggAdvertBodySchema.extend({ peerId: PeerIdSchema }).strict())
      .min(2)
      .max(MAX_MEMBERS),
    threshold: z.number().int().min(2),
    degree: z.number().int().min(2).optional(),
    graphSeed: bytesOf(32).optional(),
  })
  .strict();

/** A dealer's sealed shares (one per holder) and its public commitments to them. */
export const SecAggSharesBodySchema = z
  .object({
    shares: z
      .array(
        z
          .object({
            holder: PeerIdSchema,
            envelope: bytesOf(ENVELOPE_BYTES),
            seed: HashSchema,
            key: HashSchema,
          })
          .strict(),
      )
      .min(1)
      .max(MAX_MEMBERS),
  })
  .strict();

/**
 * The sender set, with the hash of each masked vector the aggregator holds; `silent`: roster members it holds
 * no shares from (they never dealt), whose pairwise masks the senders reveal instead of their key shares.
 * `signature`: the aggregator's, over unmaskRequestBytes(ctx, senderSetHash), so a second, different set
 * from it is proof of equivocation that anyone can check.
 */
export const SecAggUnmaskRequestBodySchema = z
  .object({
    senders: z
      .array(z.object({ peerId: PeerIdSchema, maskedHash: HashSchema }).strict())
      .min(2)
      .max(MAX_MEMBERS),
    silent: z.array(PeerIdSchema).max(MAX_MEMBERS).optional(),
    signature: SignatureSchema,
  })
  .strict();

/**
 * A sender's consistency signature (over consistencyBytes(ctx, setHash)) on the set it was sent, with the
 * aggregator's signature on that set: a peer sent another set by the same aggregator holds the proof.
 */
export const SecAggConsistencyBodySchema = z
  .object({
    setHash: HashSchema,
    aggregator: PeerIdSchema,
    requestSignature: SignatureSchema,
    signature: SignatureSchema,
  })
  .strict();

export const SecAggRevealBodySchema = z
  .object({
    shares: z
      .array(
        z
          .object({ dealer: PeerIdSchema, kind: z.enum(['seed', 'key']), y: bytesOf(SHARE_VALUE_BYTES) })
          .strict(),
      )
      .max(MAX_MEMBERS),
    /** The revealer's pairwise mask seed with each silent member of the request. */
    pairSeeds: z
      .array(z.object({ peer: PeerIdSchema, seed: bytesOf(32) }).strict())
      .max(MAX_MEMBERS)
      .optional(),
  })
  .strict();

/** One wire type `secagg` carries every step; `step` says which body follows. */
export const SecAggMessageBodySchema = z.discriminatedUnion('step', [
  SecAggAdvertBodySchema.extend({ step: z.literal('advert') }).strict(),
  SecAggRosterBodySchema.extend({ step: z.literal('roster') }).strict(),
  SecAggSharesBodySchema.extend({ step: z.literal('shares') }).strict(),
  SecAggUnmaskRequestBodySchema.extend({ step: z.literal('unmask') }).strict(),
  SecAggConsistencyBodySchema.extend({ step: z.literal('consistency') }).strict(),
  SecAggRevealBodySchema.extend({ step: z.literal('reveal') }).strict(),
]);

export type SecAggMessageBody = z.infer<typeof SecAggMessageBodySchema>;
export type SecAggAdvertBody = z.infer<typeof SecAggAdvertBodySchema>;
export type SecAggRosterBody = z.infer<typeof SecAggRosterBodySchema>;
export type SecAggSharesBody = z.infer<typeof SecAggSharesBodySchema>;
export type SecAggConsistencyBody = z.infer<typeof SecAggConsistencyBodySchema>;
export type SecAggUnmaskRequestBody = z.infer<typeof SecAggUnmaskRequestBodySchema>;
export type SecAggRevealBody = z.infer<typeof SecAggRevealBodySchema>;
