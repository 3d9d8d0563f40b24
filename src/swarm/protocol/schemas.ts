import { z } from 'zod';

/* Field schemas every wire body shares (the envelope's and the secure round's alike). */
export const HashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex SHA-256');
export const PeerIdSchema = z.string().min(1).max(128);
/** Exactly `length` bytes. */
export const bytesOf = (length: number) =>
  z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === length, `expected ${length} bytes`);
/** An identity-key signature (ed25519: 64 bytes; other key types up to 1 KiB). */
export const SignatureSchema = z.custom<Uint8Array>(
  (v) => v instanceof Uint8Array && v.length > 0 && v.length <= 1024,
  'expected a signature',
);
