/**
 * The swarm pre-shared key in libp2p's pnet key-file format (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex
 * digits). Every member holds the same file; peers without it cannot complete a connection.
 */
import { generateKey } from '@libp2p/pnet';
import {
  SecretFileError,
  SwarmdError,
  fsErrorReason,
  readSecretFile,
  writeSecretFile,
} from '../../core/index.js';

/** A swarm key file that cannot be used; `code` is one of the PSK_* codes, the message says how to fix it. */
export class PskError extends SwarmdError {}

const HEADER = '/key/swarm/psk/1.0.0/';
const ENCODING = '/base16/';
const SECRET_BYTES = 32;
/** Header, encoding line and 64 hex digits, each line ending in '\n' except the last. */
const FILE_BYTES = HEADER.length + 1 + ENCODING.length + 1 + SECRET_BYTES * 2;
const FIX =
  'copy the swarm key file unchanged from another member, or create a new swarm key for a new swarm';

/** A new random swarm key, as pnet key-file bytes. */
export function createSwarmPsk(): Uint8Array {
  const file = new Uint8Array(FILE_BYTES);
  generateKey(file);
  return file;
}

/**
 * Validates a swarm key file and returns its canonical bytes (what libp2p's pnet expects: LF line ends,
 * lower-case hex, no trailing newline). Tolerates CRLF, surrounding blanks and a trailing newline.
 */
export function parsePskFile(input: string | Uint8Array): Uint8Array {
  return new TextEncoder().encode(`${HEADER}\n${ENCODING}\n${secretHex(input)}`);
}

/** The 32 raw secret bytes of a swarm key file (input to deriving the payload encryption key). */
export function pskSecret(psk: string | Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.from(secretHex(psk), 'hex'));
}

/** Reads and validates a swarm key file (refused if group or others may access it); returns its canonical bytes. */
export async function readPskFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readSecretFile(path, { what: 'swarm key file', holds: 'the swarm secret' });
  } catch (err) {
    if (err instanceof SecretFileError)
      throw new PskError(err.code === 'SECRET_FILE_NOT_FILE' ? 'PSK_NOT_FILE' : 'PSK_TOO_OPEN', err.message);
    throw new PskError(
      'PSK_UNREADABLE',
      `cannot read the swarm key file ${path}: check the path and its permissions`,
      { cause: err },
    );
  }
  return parsePskFile(bytes);
}

/**
 * Writes `psk` (a new key by default) to `path`: owner-only (0600), atomic, never replacing an existing file.
 * Returns the bytes written.
 */
export async function writePskFile(path: string, psk: Uint8Array = createSwarmPsk()): Promise<Uint8Array> {
  const canonical = parsePskFile(psk);
  try {
    await writeSecretFile(path, canonical);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PskError(
        'PSK_EXISTS',
        `${path} already exists: swarmd never replaces a file with a new swarm key; pass another path (a site joining an existing swarm copies its key file instead of creating one)`,
        { cause: err },
      );
    }
    throw new PskError('PSK_WRITE', `cannot write the swarm key file ${path}: ${fsErrorReason(err)}`, {
      cause: err,
    });
  }
  return canonical;
}

function secretHex(input: string | Uint8Array): string {
  const lines = decodeText(input)
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim());
  if (lines.length === 1 && lines[0] === '')
    throw new PskError('PSK_EMPTY', `the swarm key file is empty; ${FIX}`);
  if (lines[0] !== HEADER) {
    throw new PskError('PSK_BAD_HEADER', `the swarm key file must start with the line ${HEADER}; ${FIX}`);
  }
  if (lines[1] !== ENCODING) {
    throw new PskError(
      'PSK_UNSUPPORTED_ENCODING',
      // Never the line itself: a file missing this line has the secret there.
      `the second line of the swarm key file must be ${ENCODING} (${describeLine(lines[1])}); ${FIX}`,
    );
  }
  const hex = lines[2] ?? '';
  if (!/^[0-9a-fA-F]*$/.test(hex)) {
    throw new PskError(
      'PSK_NOT_HEX',
      `the third line of the swarm key file must be hexadecimal digits only; ${FIX}`,
    );
  }
  if (hex.length !== SECRET_BYTES * 2) {
    throw new PskError(
      'PSK_BAD_LENGTH',
      `the swarm key must be ${SECRET_BYTES * 2} hex digits (${SECRET_BYTES} bytes), got ${hex.length}; ${FIX}`,
    );
  }
  if (/^(..)\1*$/.test(hex)) {
    throw new PskError(
      'PSK_WEAK',
      'the swarm key is one byte repeated (all zeros?), which anyone can guess: create a new swarm key (`swarmd init --new-psk`) and copy it to every member',
    );
  }
  if (lines.length > 3) {
    throw new PskError('PSK_TRAILING_DATA', `the swarm key file has extra lines after the key; ${FIX}`);
  }
  return hex.toLowerCase();
}

/** What a wrong line is, without its content (which may be the secret). */
function describeLine(line: string | undefined): string {
  if (line === undefined || line === '') return 'it is missing';
  if (/^[0-9a-fA-F]{64}$/.test(line)) return 'it is missing: the key itself comes second';
  return `got a line of ${line.length} characters`;
}

function decodeText(input: string | Uint8Array): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (err) {
    throw new PskError('PSK_NOT_TEXT', `the swarm key file is not text; ${FIX}`, { cause: err });
  }
}
