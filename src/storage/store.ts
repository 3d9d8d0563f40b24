import { hashTensors } from '../core/index.js';
import type { ModelKey } from '../inr/index.js';
import { decodeCheckpoint, encodeCheckpoint } from './codec.js';
import { CheckpointCorruptError, CheckpointEncryptedError, StoreError } from './errors.js';
import {
  SCHEMA_VERSION,
  compact,
  json,
  notSwarmd,
  openLevel,
  schemaVersion,
  subOf,
  unjson,
  type Bytes,
  type Db,
  type Sub,
} from './level.js';
import {
  CheckpointManifestSchema,
  type Checkpoint,
  type CheckpointManifest,
  type LogEntry,
} from './manifest.js';
import { checkpointsToDrop } from './retention.js';
import { SealedIdentity, sealRawIdentity } from './identity.js';
import { checkpointSealer, type Sealer } from './seal.js';

/** The site's database: identity, key fingerprint, checkpoints, the round log, metadata. */
export interface Store {
  readonly path: string;
  /** The libp2p private-key bytes (sealed at rest under the model key: IDENTITY_SEALED without it). */
  getIdentity(): Promise<Bytes | undefined>;
  /** Stores the identity sealed under the model key (IDENTITY_SEALED without it). */
  putIdentity(bytes: Bytes): Promise<void>;
  getMeta<T>(key: string): Promise<T | undefined>;
  putMeta(key: string, value: unknown): Promise<void>;
  /** A checkpoint with (if given) one round-log entry: writeRounds of that one entry. */
  putCheckpoint(cp: Checkpoint, log?: LogEntry): Promise<void>;
  /**
   * Writes consecutive round-log entries, deleting any stored at or after the first one's round, with a
   * checkpoint (sealed; it becomes `latest`), metadata and retention deletions, in one atomic batch.
   */
  writeRounds(
    entries: readonly LogEntry[],
    with_: { checkpoint?: Checkpoint; meta?: Record<string, unknown> },
  ): Promise<void>;
  /** Opens and verifies a checkpoint; throws rather than return weights that fail authentication. */
  getCheckpoint(id: string): Promise<Checkpoint | undefined>;
  latestCheckpoint(): Promise<Checkpoint | undefined>;
  /** Ids of the stored checkpoints, oldest first (readable without the key). */
  checkpointIds(): Promise<string[]>;
  listCheckpoints(): Promise<{ id: string; manifest: CheckpointManifest }[]>;
  getLog(fromRound?: number): Promise<LogEntry[]>;
  lastLogEntry(): Promise<LogEntry | undefined>;
  close(): Promise<void>;
}

export interface StoreInit {
  /**
   * The model key checkpoints and the identity are sealed under; metadata and the log work without it. A
   * writer given it seals a raw identity an older swarmd left (same peer id).
   */
  key?: ModelKey;
  /** Keep the newest N checkpoints plus the one the latest commit applied; default: keep all. */
  keepCheckpoints?: number;
  /** Refuse, without writing anything, unless `path` already is a swarmd database (for readers like infer). */
  mustExist?: boolean;
}

const roundKey = (round: number) => String(round).padStart(12, '0');
/** The checkpoint the round log's latest commit applied: never dropped by retention. */
const COMMIT_CHECKPOINT = 'commit-checkpoint';

export async function openStore(path: string, init: StoreInit = {}): Promise<Store> {
  const db = await openLevel(path, init.mustExist === true);
  try {
    await checkSchema(db, path, init.mustExist === true);
    if (init.key && init.mustExist !== true) await sealRawIdentity(db, path, init.key);
  } catch (err) {
    await db.close();
    throw err;
  }
  return new LevelStore(path, db, init);
}

async function checkSchema(db: Db, path: string, mustExist: boolean): Promise<void> {
  const found = await schemaVersion(db);
  if (found === SCHEMA_VERSION) return;
  if (found === undefined) {
    if (mustExist) throw notSwarmd(path, 'a LevelDB database without a swarmd schema version');
    return subOf(db, 'meta').put('version', json(SCHEMA_VERSION));
  }
  if (found === '1') {
    throw new StoreError(
      'STORE_UNENCRYPTED',
      `database ${path} holds unencrypted checkpoints (schema version 1); this swarmd keeps them encrypted (version 2): run \`swarmd migrate --db ${path} --key <key file>\` once to encrypt them in place`,
    );
  }
  throw new StoreError(
    'STORE_SCHEMA',
    `database ${path} has schema version ${found}; this swarmd reads version ${SCHEMA_VERSION}: use a matching swarmd release`,
  );
}

class LevelStore implements Store {
  private readonly s: { checkpoints: Sub; log: Sub; meta: Sub };
  private readonly identity: SealedIdentity;
  private readonly sealer: Sealer | null;

  constructor(
    readonly path: string,
    private readonly db: Db,
    private readonly init: StoreInit,
  ) {
    this.s = {
      checkpoints: subOf(db, 'checkpoints'),
      log: subOf(db, 'log'),
      meta: subOf(db, 'meta'),
    };
    this.identity = new SealedIdentity(subOf(db, 'identity'), path, init.key);
    this.sealer = init.key ? checkpointSealer(init.key) : null;
  }

  getIdentity() {
    return this.identity.get();
  }

  putIdentity(bytes: Bytes) {
    return this.identity.put(bytes);
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    const v = await this.s.meta.get(key);
    return v === undefined ? undefined : unjson<T>(v);
  }

  putMeta(key: string, value: unknown) {
    return this.s.meta.put(key, json(value));
  }

  putCheckpoint(cp: Checkpoint, log?: LogEntry): Promise<void> {
    return this.writeRounds(log ? [log] : [], { checkpoint: cp });
  }

  async writeRounds(
    entries: readonly LogEntry[],
    with_: { checkpoint?: Checkpoint; meta?: Record<string, unknown> },
  ): Promise<void> {
    const from = entries[0]?.round;
    const stale: string[] = [];
    if (from !== undefined) for await (const key of this.s.log.keys({ gte: roundKey(from) })) stale.push(key);
    const cp = with_.checkpoint ? await this.checkpointOps(with_.checkpoint, entries.length > 0) : null;
    await this.db.batch([
      ...stale.map((key) => ({ type: 'del' as const, sublevel: this.s.log, key })),
      ...entries.map((e) => this.logOp(e)),
      ...(cp?.ops ?? []),
      ...Object.entries(with_.meta ?? {}).map(([key, value]) => this.metaOp(key, value)),
    ]);
    await this.compactDropped(cp?.drops ?? []);
  }

  /** The sealed checkpoint, the `latest` pointer and the retention deletions that writing it brings. */
  private async checkpointOps(cp: Checkpoint, isCommit: boolean) {
    const sealer = this.needSealer(`database ${this.path}`);
    const manifest = CheckpointManifestSchema.parse(cp.manifest);
    if (hashTensors(cp.tensors) !== manifest.tensorsHash) {
      throw new CheckpointCorruptError(
        'CHECKPOINT_HASH',
        `checkpoint ${manifest.id}: tensors do not match tensorsHash`,
      );
    }
    const value = sealer.seal(manifest.id, encodeCheckpoint({ manifest, tensors: cp.tensors }));
    const drops = await this.retentionDrops(manifest.id, isCommit);
    const ops = [
      { type: 'put' as const, sublevel: this.s.checkpoints, key: manifest.id, value },
      this.metaOp('latest-checkpoint', manifest.id),
      ...(isCommit ? [this.metaOp(COMMIT_CHECKPOINT, manifest.id)] : []),
      ...drops.map((key) => ({ type: 'del' as const, sublevel: this.s.checkpoints, key })),
    ];
    return { ops, drops };
  }

  /** Checkpoints to delete so that `keepCheckpoints` remain after `newId` is written (none without it). */
  private async retentionDrops(newId: string, isCommit: boolean): Promise<string[]> {
    const keep = this.init.keepCheckpoints;
    if (keep === undefined) return [];
    const ids = [...new Set([...(await this.checkpointIds()), newId])];
    const committed = isCommit ? newId : await this.getMeta<string>(COMMIT_CHECKPOINT);
    return checkpointsToDrop(ids, keep, committed ? [newId, committed] : [newId]);
  }

  /**
   * LevelDB keeps deleted values in its files until a compaction reaches them: without this the folder
   * grows by a checkpoint a round whatever keepCheckpoints says.
   */
  private async compactDropped(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const keys = ids.map((id) => this.s.checkpoints.prefix + id).sort();
    await compact(this.db, keys[0], keys.at(-1));
  }

  private metaOp(key: string, value: unknown) {
    return { type: 'put' as const, sublevel: this.s.meta, key, value: json(value) };
  }

  private logOp(log: LogEntry) {
    const bytes = Buffer.from(log.bytes).toString('base64');
    const value = json({ hash: log.hash, prevHash: log.prevHash, bytes });
    return { type: 'put' as const, sublevel: this.s.log, key: roundKey(log.round), value };
  }

  async getCheckpoint(id: string): Promise<Checkpoint | undefined> {
    const sealed = await this.s.checkpoints.get(id);
    if (sealed === undefined) return undefined;
    const where = `database ${this.path}`;
    const plain = this.needSealer(`checkpoint ${id} in ${where}`).open(id, sealed, where);
    return decodeCheckpoint(id, plain, where);
  }

  async latestCheckpoint(): Promise<Checkpoint | undefined> {
    const id = await this.getMeta<string>('latest-checkpoint');
    return id === undefined ? undefined : this.getCheckpoint(id);
  }

  async checkpointIds(): Promise<string[]> {
    const ids: string[] = [];
    for await (const key of this.s.checkpoints.keys()) ids.push(key);
    return ids;
  }

  async listCheckpoints() {
    const out: { id: string; manifest: CheckpointManifest }[] = [];
    for (const id of await this.checkpointIds()) {
      const cp = await this.getCheckpoint(id);
      if (cp) out.push({ id, manifest: cp.manifest });
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

  private needSealer(what: string): Sealer {
    if (!this.sealer) throw new CheckpointEncryptedError(what);
    return this.sealer;
  }
}

function decodeLog(key: string, value: Bytes): LogEntry {
  const v = unjson<{ hash: string; prevHash?: string | null; bytes: string }>(value);
  const bytes = new Uint8Array(Buffer.from(v.bytes, 'base64'));
  return { round: Number(key), hash: v.hash, prevHash: v.prevHash, bytes };
}
