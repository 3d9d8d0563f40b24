import { z } from 'zod';
import { SecretFileError, readSecretFile, fsErrorReason, writeSecretFile } from '../core/index.js';
import { KeyFileError } from './errors.js';
import { MODEL_KEY_BYTES, keyFingerprint, modelKeyFromBytes, type ModelKey } from './key.js';

const FORMAT = 'swarmd-model-key';
const SUPPORTED_VERSIONS = [1];

const KeyFileV1Schema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  key: z.string(),
  fingerprint: z.string(),
});
type KeyFileV1 = z.infer<typeof KeyFileV1Schema>;

export interface WriteKeyFileOptions {
  /** Replace an existing file at `path` (the CLI's --force). Default false. */
  overwrite?: boolean;
}

/** Writes `key` to `path`: owner-only (0600) and atomic, never replacing a file unless `overwrite`. */
export async function writeKeyFile(
  path: string,
  key: ModelKey,
  options: WriteKeyFileOptions = {},
): Promise<void> {
  const body: KeyFileV1 = {
    format: FORMAT,
    version: 1,
    key: Buffer.from(key.key).toString('base64'),
    fingerprint: key.fingerprint,
  };
  try {
    await writeSecretFile(path, `${JSON.stringify(body)}\n`, options);
  } catch (err) {
    throw asWriteError(err, path);
  }
}

function asWriteError(err: unknown, path: string): KeyFileError {
  if (err instanceof KeyFileError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EEXIST') {
    return new KeyFileError(
      'KEY_FILE_EXISTS',
      path,
      `key file ${path} already exists: pass --force to replace it (the old key is lost) or pick another path`,
    );
  }
  return new KeyFileError('KEY_FILE_WRITE', path, `cannot write key file ${path}: ${fsErrorReason(err)}`, {
    cause: err,
  });
}

/** Reads and checks a key file; every failure is a KeyFileError naming `path` and what to do. */
export async function loadKeyFile(path: string): Promise<ModelKey> {
  const body = parseKeyFile(path, await readKeyFileText(path));
  const bytes = Buffer.from(body.key, 'base64');
  if (bytes.toString('base64') !== body.key || bytes.length !== MODEL_KEY_BYTES) {
    throw new KeyFileError(
      'KEY_FILE_CORRUPT',
      path,
      `key file ${path} does not hold a ${MODEL_KEY_BYTES}-byte base64 key (${bytes.length === MODEL_KEY_BYTES ? 'its "key" is not plain base64' : `found ${bytes.length} bytes`}): restore it from the swarm's key file`,
    );
  }
  if (keyFingerprint(bytes) !== body.fingerprint.toLowerCase()) {
    throw new KeyFileError(
      'KEY_FILE_CORRUPT',
      path,
      `key file ${path} is damaged: its stored fingerprint ${body.fingerprint} does not match its key; restore it from the swarm's key file`,
    );
  }
  if (bytes.every((b) => b === bytes[0])) {
    throw new KeyFileError(
      'KEY_FILE_WEAK',
      path,
      `key file ${path} holds a key of one repeated byte (all zeros?), which anyone can guess: create a key with \`swarmd keygen\` and copy it to every site`,
    );
  }
  const key = modelKeyFromBytes(bytes);
  bytes.fill(0);
  return key;
}

/** The file's text; refused (KEY_FILE_TOO_OPEN) if group or others may access it. */
async function readKeyFileText(path: string): Promise<string> {
  try {
    return (await readSecretFile(path, { what: 'key file', holds: 'the model key' })).toString('utf8');
  } catch (err) {
    if (err instanceof SecretFileError)
      throw new KeyFileError(
        err.code === 'SECRET_FILE_NOT_FILE' ? 'KEY_FILE_NOT_FILE' : 'KEY_FILE_TOO_OPEN',
        path,
        err.message,
      );
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new KeyFileError(
        'KEY_FILE_MISSING',
        path,
        `key file ${path} does not exist: create one with \`swarmd keygen --out ${path}\` or copy the swarm's key file there`,
        { cause: err },
      );
    }
    throw new KeyFileError(
      'KEY_FILE_UNREADABLE',
      path,
      `cannot read key file ${path}: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

function parseKeyFile(path: string, text: string): KeyFileV1 {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const trimmed = text.trim();
    const cut = trimmed === '' || (trimmed.startsWith('{') && !trimmed.endsWith('}'));
    throw new KeyFileError(
      cut ? 'KEY_FILE_TRUNCATED' : 'KEY_FILE_FORMAT',
      path,
      cut
        ? `key file ${path} is empty or truncated: copy the swarm's key file again`
        : `${path} is not a swarmd key file (not JSON): pass the file written by \`swarmd keygen\``,
      { cause: err },
    );
  }
  const header = json as { format?: unknown; version?: unknown } | null;
  if (typeof header !== 'object' || header === null || header.format !== FORMAT) {
    throw new KeyFileError(
      'KEY_FILE_FORMAT',
      path,
      `${path} is not a swarmd key file (format is not "${FORMAT}"): pass the file written by \`swarmd keygen\``,
    );
  }
  if (!SUPPORTED_VERSIONS.includes(header.version as number)) {
    throw new KeyFileError(
      'KEY_FILE_VERSION',
      path,
      `key file ${path} has ${typeof header.version === 'number' ? `version ${header.version}` : 'no version number'}; this swarmd reads version ${SUPPORTED_VERSIONS.join(', ')}: upgrade swarmd or use a key file it wrote`,
    );
  }
  const parsed = KeyFileV1Schema.safeParse(json);
  if (!parsed.success) {
    throw new KeyFileError(
      'KEY_FILE_CORRUPT',
      path,
      `key file ${path} lacks a valid "key" or "fingerprint" field: restore it from the swarm's key file`,
    );
  }
  return parsed.data;
}
