import { mkdir } from 'node:fs/promises';
import { Level } from 'level';
import { PRIVATE_DIR_MODE, decodeTensors, encodeTensors, hashTensors, fsErrorReason } from '../core/index.js';
import { CheckpointCorruptError, StoreError } from './errors.js';
import {
  CheckpointManifestSchema,
  type Checkpoint,
  type CheckpointManifest,
  type LogEntry,
} from './manifest.js';

const SCHEMA_VERSION = '1';
type Bytes = Uint8Array;
const subOf = (db: Level<string, Bytes>, name: string) =>
  db.sublevel<string, Bytes>(name, { keyEncoding: 'utf8', valueEncoding: 'view' });
type Sub = ReturnType<typeof subOf>;

/** The site's database: identity, key fingerprint, checkpoints, the round log, metadata. */
export interface Store {
  readonly path: string;
  getIdentity(): Promise<Bytes | undefined>;
  putIdentity(bytes: Bytes): Promise<void>;
  getMeta<T>(key: string): Promise<T | undefined>;
  putMeta(key: string, value: unknown): Promise<void>;
  /** Writes a checkpoint, the `latest` pointer and (if given) its round-log entry in one atomic batch. */
  putCheckpoint(cp: Checkpoint, log?: LogEntry): Promise<void>;
  /** Reads and verifies a checkpoint; throws CheckpointCorruptError rather than return bad weights. */
  /** A round-log entry without a model checkpoint (e.g. the shared-preprocessing round), with metadata. */
  appendLog(log: LogEntry, meta?: Record<string, unknown>): Promise<void>;
  /**
   * Writes consecutive round-log entries, deleting any stored at or after the first one's round, with a
   * checkpoint (which becomes `latest`) and metadata, in one atomic batch.
   */
  writeRounds(
    entries: readonly LogEntry[],
    with_: { checkpoint?: Checkpoint; meta?: Record<string, unknown> },
  ): Promise<void>;
  getCheckpoint(id: string): Promise<Checkpoint | undefined>;
  latestCheckpoint(): Promise<Checkpoint | undefined>;
  listCheckpoints(): Promise<{ id: string; manifest: CheckpointManifest }[]>;
  getLog(fromRound?: number): Promise<LogEntry[]>;
  lastLogEntry(): Promise<LogEntry | undefined>;
  close(): Promise<void>;
}

const roundKey = (round: number) => String(round).padStart(12, '0');
const json = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const unjson = <T>(b: Bytes) => JSON.parse(new TextDecoder().decode(b)) as T;

/** Opens (creating it if missing, owner-only: it holds the peer's private identity key) a site database. */
export async function openStore(path: string): Promise<Store> {
  const db = new Level<string, Bytes>(path, { keyEncoding: 'utf8', valueEncoding: 'view' });
  try {
    await mkdir(path, { recursive: true, mode: PRIVATE_DIR_MODE });
    await db.open();
  } catch (err) {
    throw openError(path, err);
  }
  const sub = (name: string) => subOf(db, name);
  const s = {
    identity: sub('identity'),
    checkpoints: sub('checkpoints'),
    log: sub('log'),
    meta: sub('meta'),
  };
  await checkSchema(db, s.meta, path);
  return new LevelStore(path, db, s);
}

function openError(path: string, err: unknown): StoreError {
  const cause = (err as { cause?: { code?: string } }).cause;
  if (cause?.code === 'LEVEL_LOCKED') {
    return new StoreError(
      'STORE_LOCKED',
      `database ${path} is in use by another process (a running swarmd daemon?): stop it or use another directory`,
      { cause: err },
    );
  }
  return new StoreError('STORE_OPEN', `cannot open database ${path}: ${fsErrorReason(err)}`, {
    cause: err,
  });
}

async function checkSchema(db: Level<string, Bytes>, meta: Sub, path: string): Promise<void> {
  const v = await meta.get('version');
  if (v === undefined) return meta.put('version', json(SCHEMA_VERSION));
  const found = unjson<string>(v);
  if (found !== SCHEMA_VERSION) {
    await db.close();
    throw new StoreError(
      'STORE_SCHEMA',
      `database ${path} has schema version ${found}; this swarmd reads version ${SCHEMA_VERSION}: use a matching swarmd release`,
    );
  }
}

class LevelStore implements Store {
  constructor(
    readonly path: string,
    private readonly db: Level<string, Bytes>,
    private readonly s: { identity: Sub; checkpoints: Sub; log: Sub; meta: Sub },
  ) {}

  getIdentity() {
    return this.s.identity.get('private-key');
  }

  putIdentity(bytes: Bytes) {
    return this.s.identity.put('private-key', bytes);
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    const v = await this.s.meta.get(key);
    return v === undefined ? undefined : unjson<T>(v);
  }

  putMeta(key: string, value: unknown) {
    return this.s.meta.put(key, json(value));
  }

  async putCheckpoint(cp: Checkpoint, log?: LogEntry): Promise<void> {
    await this.db.batch([...this.checkpointOps(cp), ...(log ? [this.logOp(log)] : [])]);
  }

  async writeRounds(
    entries: readonly LogEntry[],
    with_: { checkpoint?: Checkpoint; meta?: Record<string, unknown> },
  ): Promise<void> {
    const from = entries[0]?.round;
    const stale: string[] = [];
    if (from !== undefined) for await (const key of this.s.log.keys({ gte: roundKey(from) })) stale.push(key);
    const ops = [
      ...stale.map((key) => ({ type: 'del' as const, sublevel: this.s.log, key })),
      ...entries.map((e) => this.logOp(e)),
      ...(with_.checkpoint ? this.checkpointOps(with_.checkpoint) : []),
      ...Object.entries(with_.meta ?? {}).map(([key, value]) => this.metaOp(key, value)),
    ];
    await this.db.batch(ops);
  }

  private metaOp(key: string, value: unknown) {
    return { type: 'put' as const, sublevel: this.s.meta, key, value: json(value) };
  }

  private checkpointOps(cp: Checkpoint) {
    const manifest = CheckpointManifestSchema.parse(cp.manifest);
    if (hashTensors(cp.tensors) !== manifest.tensorsHash) {
      throw new CheckpointCorruptError(
        'CHECKPOINT_HASH',
        `checkpoint ${manifest.id}: tensors do not match tensorsHash`,
      );
    }
    const ops = [
      {
        type: 'put' as const,
        sublevel: this.s.checkpoints,
        key: `${manifest.id}!manifest`,
        value: json(manifest),
      },
      {
        type: 'put' as const,
        sublevel: this.s.checkpoints,
        key: `${manifest.id}!tensors`,
        value: encodeTensors(cp.tensors),
      },
      { type: 'put' as const, sublevel: this.s.meta, key: 'latest-checkpoint', value: json(manifest.id) },
    ];
    return ops;
  }

  async appendLog(log: LogEntry, meta: Record<string, unknown> = {}): Promise<void> {
    const metaOps = Object.entries(meta).map(([key, value]) => ({
      type: 'put' as const,
      sublevel: this.s.meta,
      key,
      value: json(value),
    }));
    await this.db.batch([this.logOp(log), ...metaOps]);
  }

  private logOp(log: LogEntry) {
    const bytes = Buffer.from(log.bytes).toString('base64');
    const value = json({ hash: log.hash, prevHash: log.prevHash, bytes });
    return { type: 'put' as const, sublevel: this.s.log, key: roundKey(log.round), value };
  }

  async getCheckpoint(id: string): Promise<Checkpoint | undefined> {
    const [m, t] = await this.s.checkpoints.getMany([`${id}!manifest`, `${id}!tensors`]);
    if (m === undefined) return undefined;
    return verifyCheckpoint(id, m, t, this.path);
  }

  async latestCheckpoint(): Promise<Checkpoint | undefined> {
    const id = await this.getMeta<string>('latest-checkpoint');
    return id === undefined ? undefined : this.getCheckpoint(id);
  }

  async listCheckpoints() {
    const out: { id: string; manifest: CheckpointManifest }[] = [];
    for await (const [key, value] of this.s.checkpoints.iterator()) {
      if (!key.endsWith('!manifest')) continue;
      const parsed = CheckpointManifestSchema.safeParse(safeJson(value));
      if (parsed.success) out.push({ id: parsed.data.id, manifest: parsed.data });
    }
    return out;
  }

  async getLog(fromRound = 0): Promise<LogEntry[]> {
    const out: LogEntry[] = [];
    for await (const [key, value] of this.s.log.iterator({ gte: roundKey(fromRound) })) {
      out.push(decodeLog(key, value));
    }
    return out;
  }

  async lastLogEntry(): Promise<LogEntry | undefined> {
    for await (const [key, value] of this.s.log.iterator({ reverse: true, limit: 1 }))
      return decodeLog(key, value);
    return undefined;
  }

  close() {
    return this.db.close();
  }
}

function decodeLog(key: string, value: Bytes): LogEntry {
  const v = unjson<{ hash: string; prevHash?: string | null; bytes: string }>(value);
  const bytes = new Uint8Array(Buffer.from(v.bytes, 'base64'));
  return { round: Number(key), hash: v.hash, prevHash: v.prevHash, bytes };
}

function safeJson(b: Bytes): unknown {
  try {
    return unjson(b);
  } catch {
    return undefined;
  }
}

/** Parses and hash-checks stored checkpoint parts; `where` names the database or file in errors. */
export function verifyCheckpoint(id: string, m: Bytes, t: Bytes | undefined, where: string): Checkpoint {
  const corrupt = (why: string) =>
    new CheckpointCorruptError(
      'CHECKPOINT_CORRUPT',
      `checkpoint ${id} in ${where} is corrupt (${why}); it was not used: restore it from another site or a backup`,
    );
  const parsed = CheckpointManifestSchema.safeParse(safeJson(m));
  if (!parsed.success) throw corrupt('manifest unreadable');
  if (t === undefined) throw corrupt('tensors missing');
  let tensors;
  try {
    tensors = decodeTensors(t);
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  if (hashTensors(tensors) !== parsed.data.tensorsHash)
    throw corrupt('tensors do not match the manifest hash');
  return { manifest: parsed.data, tensors };
}
