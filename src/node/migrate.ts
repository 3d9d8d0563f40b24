import { stat } from 'node:fs/promises';
import { InputError, fsErrorReason } from '../core/index.js';
import { loadKeyFile } from '../inr/index.js';
import {
  migrateCheckpointFile,
  migrateIdentity,
  migrateStore,
  openStore,
  type LogEntry,
} from '../storage/index.js';
import {
  LEGACY_WIRE_VERSION,
  WIRE_VERSION,
  commitRecordBytes,
  decodeLegacyCommitRecord,
} from '../swarm/index.js';

export interface MigrateOptions {
  /** An older site database (dataDir) or `swarmd train --out` folder. */
  db?: string;
  /** A version-1 exported `.swck` file. */
  checkpoint?: string;
  keyPath: string;
}

/**
 * `swarmd migrate`: seals the plain checkpoints and the raw peer identity an older swarmd wrote, and
 * rewrites round-log entries of protocol 1 (before certificates) as protocol 2 entries without a
 * certificate — hashes unchanged, so the chain stays the same; `swarmd log verify` names them uncertified.
 * Returns a line to print.
 */
export async function migrateCheckpoints(o: MigrateOptions): Promise<string> {
  if ((o.db === undefined) === (o.checkpoint === undefined))
    throw new InputError('MIGRATE_TARGET', 'pass exactly one of --db <dir> and --checkpoint <file>');
  const key = await loadKeyFile(o.keyPath);
  if (o.checkpoint !== undefined) {
    await assertCheckpointFile(o.checkpoint);
    await migrateCheckpointFile(o.checkpoint, key);
    return `encrypted ${o.checkpoint} under key ${key.fingerprint}`;
  }
  const sealed = await migrateStore(o.db!, key);
  const identity = await migrateIdentity(o.db!, key);
  const upgraded = await upgradeRoundLog(o.db!);
  const parts = [
    ...(sealed > 0 ? [`encrypted ${sealed} checkpoint(s) under key ${key.fingerprint}`] : []),
    ...(identity ? [`encrypted the peer identity under key ${key.fingerprint}`] : []),
    ...(upgraded > 0
      ? [
          `rewrote ${upgraded} round-log entries of protocol ${LEGACY_WIRE_VERSION} as protocol ${WIRE_VERSION} (uncertified: written before certificates)`,
        ]
      : []),
  ];
  return parts.length === 0
    ? `database ${o.db} needed no migration`
    : `database ${o.db}: ${parts.join('; ')}`;
}

/** Re-encodes protocol-1 entries of the round log in one batch; returns how many. */
async function upgradeRoundLog(path: string): Promise<number> {
  const store = await openStore(path, { mustExist: true });
  try {
    const entries = await store.getLog(0);
    const upgraded: LogEntry[] = [];
    for (const e of entries) {
      const legacy = decodeLegacyCommitRecord(e.bytes);
      if (legacy !== undefined) upgraded.push({ ...e, bytes: commitRecordBytes(legacy) });
    }
    if (upgraded.length === 0) return 0;
    const first = upgraded[0].round;
    const rest = entries
      .filter((e) => e.round >= first)
      .map((e) => upgraded.find((u) => u.round === e.round) ?? e);
    await store.writeRounds(rest, {});
    return upgraded.length;
  } finally {
    await store.close();
  }
}

async function assertCheckpointFile(path: string): Promise<void> {
  const info = await stat(path).catch((err: unknown) => {
    throw new InputError('MIGRATE_TARGET', `cannot read --checkpoint ${path}: ${fsErrorReason(err)}`, {
      cause: err,
    });
  });
  if (info.isDirectory()) {
    throw new InputError(
      'MIGRATE_TARGET',
      `--checkpoint ${path} is a folder: --checkpoint takes an exported .swck file; for a database folder pass --db ${path}`,
    );
  }
  if (!info.isFile()) throw new InputError('MIGRATE_TARGET', `--checkpoint ${path} is not a regular file`);
}
