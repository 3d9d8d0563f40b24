import { constants, type Stats } from 'node:fs';
import { access, chmod, mkdir, open, readdir, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SwarmdError } from './errors.js';
import { PRIVATE_DIR_MODE, fsErrorReason } from './secret-file.js';

/*
 * The one answer to "may swarmd write here". A folder is swarmd's when swarmd created it, when it is empty, or
 * when it carries swarmd's marker file; an output file may be created where none is, or replace a file that
 * swarmd wrote for the same purpose (or any regular file with --force) — never a command's own input, a secret
 * file, a folder or a device, which is written into in place (`--output /dev/null`), never replaced. Every
 * refusal happens before a byte is written and names what was found.
 */

/** A write that would touch something swarmd does not own, or a target it cannot use. */
export class OwnershipError extends SwarmdError {}

export interface FolderClaim {
  path: string;
  /** Names the folder in messages: "database folder". */
  what: string;
  /** The marker file swarmd leaves in a folder it owns (a name the folder's other writers never use). */
  marker: string;
  /** A folder without the marker that is swarmd's all the same (written by an older swarmd): then marked. */
  adopt?: (path: string) => Promise<boolean>;
}

/** Makes `path` a folder swarmd owns (creating it owner-only) or refuses it, naming a file found there. */
export async function claimFolder(c: FolderClaim): Promise<void> {
  const state = await checkFolder(c);
  if (state === 'missing') {
    await mkdir(c.path, { recursive: true, mode: PRIVATE_DIR_MODE }).catch((err: unknown) => {
      throw new OwnershipError('FOLDER_CREATE', `cannot create ${c.what} ${c.path}: ${fsErrorReason(err)}`, {
        cause: err,
      });
    });
  }
  if (state !== 'owned') await writeMarker(c);
}

/**
 * Whether `path` is missing, swarmd's (marked), or free to claim (empty, or adopted); refuses anything else
 * (a file, a folder holding other files) without writing.
 */
export async function checkFolder(c: FolderClaim): Promise<'missing' | 'owned' | 'claimable'> {
  const info = await statOrNull(c.path, c.what);
  if (!info) return 'missing';
  if (!info.isDirectory()) {
    throw new OwnershipError(
      'FOLDER_IS_FILE',
      `${c.what} ${c.path} is ${kindOf(info)}, not a folder: pass a new folder path`,
    );
  }
  const names = await readdir(c.path);
  if (names.includes(c.marker)) return 'owned';
  if (names.length === 0 || (c.adopt !== undefined && (await c.adopt(c.path)))) return 'claimable';
  const shown =
    names.sort().slice(0, 3).join(', ') + (names.length > 3 ? `, … (${names.length} in all)` : '');
  throw new OwnershipError(
    'FOLDER_NOT_OURS',
    `${c.what} ${c.path} already holds files swarmd did not write (${shown}): swarmd writes only into a new or ` +
      `empty folder or one of its own databases; pass a new folder path`,
  );
}

async function writeMarker(c: FolderClaim): Promise<void> {
  const text = `This folder is a swarmd ${c.what}; swarmd writes into it. Do not put other files here.\n`;
  await writeFile(join(c.path, c.marker), text, { flag: 'wx', mode: 0o600 }).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new OwnershipError('FOLDER_WRITE', `cannot write into ${c.what} ${c.path}: ${fsErrorReason(err)}`, {
      cause: err,
    });
  });
}

/** A file a command reads (its data, its key): never an output target, whatever --force says. */
export interface NamedPath {
  path: string;
  /** "the input CSV (--input)", "the model key file". */
  what: string;
}

export interface OutputFile {
  path: string;
  /** Names the target in messages: "predictions file". */
  what: string;
  /** What the user can do instead, ending the refusal: "pass another --output path". */
  fix: string;
  /**
   * Whether an existing file's first bytes show swarmd wrote it for this purpose (then it is replaced).
   * Unset: no existing file is replaced without `force` (an audit record is never silently overwritten).
   */
  isOurs?: (head: Buffer) => boolean;
  inputs?: readonly NamedPath[];
  /** Replace an existing regular file swarmd did not write (the CLI's --force); inputs and secrets stay refused. */
  force?: boolean;
}

/** Where and how an output is written: a new or replaced regular file (atomically), or into a device or pipe. */
export interface OutputPlace {
  kind: 'create' | 'replace' | 'in-place';
  /** The real path (a symbolic link is followed: the link stays, its target is written). */
  path: string;
  /** The replaced file's permission bits, kept by the new file. */
  mode?: number;
}

// Secret files swarmd writes (inr's model key files, swarm PSK files): never replaced by an output.
const SECRET_HEADS = ['{"format":"swarmd-model-key"', '/key/swarm/psk/1.0.0/'];
const HEAD_BYTES = 64;

/** Decides where `o` may be written, or refuses it (OwnershipError) before anything is written. */
export async function placeOutput(o: OutputFile): Promise<OutputPlace> {
  const info = await statOrNull(o.path, o.what);
  if (!info) {
    await assertWritableFolder(dirname(o.path), o);
    return { kind: 'create', path: o.path };
  }
  const path = await realpath(o.path);
  const input = await sameFileAs(info, o.inputs ?? []);
  if (input) {
    throw new OwnershipError(
      'OUTPUT_IS_INPUT',
      `${o.what} ${o.path} is ${input.what}: swarmd never writes over a file the command reads; ${o.fix}`,
    );
  }
  if (info.isCharacterDevice() || info.isFIFO()) return { kind: 'in-place', path };
  if (!info.isFile()) {
    throw new OwnershipError('OUTPUT_NOT_FILE', `${o.what} ${o.path} is ${kindOf(info)}; ${o.fix}`);
  }
  const head = await readHead(path);
  if (SECRET_HEADS.some((h) => head.toString('utf8').replace(/\s/g, '').startsWith(h))) {
    throw new OwnershipError(
      'OUTPUT_IS_SECRET',
      `${o.what} ${o.path} is a swarmd key file: swarmd never replaces a secret with an output; ${o.fix}`,
    );
  }
  if (!o.force && !(o.isOurs?.(head) ?? false)) {
    const not = o.isOurs === undefined ? '' : ` and is not a ${o.what} swarmd wrote`;
    throw new OwnershipError('OUTPUT_EXISTS', `${o.what} ${o.path} already exists${not}: ${o.fix}`);
  }
  await assertWritableFolder(dirname(path), o);
  return { kind: 'replace', path, mode: info.mode & 0o777 };
}

/** Writes `data` where `placeOutput` allows: temp file then rename for a regular file, in place for a device. */
export async function writeOutput(o: OutputFile, data: string | Uint8Array): Promise<OutputPlace> {
  const place = await placeOutput(o);
  const fail = (err: unknown) =>
    new OwnershipError('OUTPUT_WRITE', `cannot write ${o.what} ${o.path}: ${fsErrorReason(err)}; ${o.fix}`, {
      cause: err,
    });
  if (place.kind === 'in-place') {
    await writeFile(place.path, data).catch((err: unknown) => Promise.reject(fail(err)));
    return place;
  }
  // `<path>.tmp-<pid>`: the name storage's removeStaleExports looks for after a crash.
  const tmp = `${place.path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, data, { flag: 'wx' });
    if (place.mode !== undefined) await chmod(tmp, place.mode);
    await rename(tmp, place.path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fail(err);
  }
  return place;
}

async function statOrNull(path: string, what: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw new OwnershipError('PATH_UNUSABLE', `cannot use ${what} ${path}: ${fsErrorReason(err)}`, {
      cause: err,
    });
  }
}

async function assertWritableFolder(dir: string, o: OutputFile): Promise<void> {
  try {
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new OwnershipError(
      'OUTPUT_FOLDER',
      `cannot write ${o.what} ${o.path}: its folder ${dir} ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `is not writable (${fsErrorReason(err)})`}; ${o.fix}`,
      { cause: err },
    );
  }
}

async function sameFileAs(target: Stats, inputs: readonly NamedPath[]): Promise<NamedPath | undefined> {
  for (const input of inputs) {
    const s = await stat(input.path).catch(() => null);
    if (s && s.dev === target.dev && s.ino === target.ino) return input;
  }
  return undefined;
}

async function readHead(path: string): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return 'a folder';
  if (info.isFile()) return 'a file';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  return 'not a regular file';
}
