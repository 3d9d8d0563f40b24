import { readFile } from 'node:fs/promises';
import { assertKeyMatches, type ModelKey } from '../inr/index.js';
import { decodeCheckpoint, encodeCheckpoint, safeJson, verifyCheckpoint } from './codec.js';
import { StoreError } from './errors.js';
import { exportCheckpointFile } from './file.js';
import {
  SCHEMA_VERSION,
  compact,
  json,
  notSwarmd,
  openLevel,
  schemaVersion,
  subOf,
  type Db,
} from './level.js';
import { checkpointSealer } from './seal.js';

/*
 * Version 1 kept a checkpoint as two plain values (`<id>!manifest` JSON, `<id>!tensors` blob) and exported
 * files as "SWCK1\n" | u32 LE manifest length | manifest | tensors. Migration verifies each one against
 * its own hash, checks it was made under `key`, seals it, and removes the plain copy.
 */

/** Seals every checkpoint of a version-1 database in place; returns how many. */
export async function migrateStore(path: string, key: ModelKey): Promise<number> {
  const db = await openLevel(path, true);
  try {
    const version = await schemaVersion(db);
    if (version === SCHEMA_VERSION) return 0;
    if (version !== '1') throw notSwarmd(path, `schema version ${version ?? 'missing'}, expected 1`);
    return await sealInPlace(db, path, key);
  } finally {
    await db.close();
  }
}

async function sealInPlace(db: Db, path: string, key: ModelKey): Promise<number> {
  const checkpoints = subOf(db, 'checkpoints');
  const sealer = checkpointSealer(key);
  const ops = [];
  for await (const [k, manifest] of checkpoints.iterator()) {
    if (!k.endsWith('!manifest')) continue;
    const id = k.slice(0, -'!manifest'.length);
    const cp = verifyCheckpoint(id, manifest, await checkpoints.get(`${id}!tensors`), `database ${path}`);
    assertKeyMatches(key, cp.manifest.keyFingerprint, `checkpoint ${id} in ${path}`);
    ops.push({
      type: 'put' as const,
      sublevel: checkpoints,
      key: id,
      value: sealer.seal(id, encodeCheckpoint(cp)),
    });
    ops.push({ type: 'del' as const, sublevel: checkpoints, key: k });
    ops.push({ type: 'del' as const, sublevel: checkpoints, key: `${id}!tensors` });
  }
  const meta = subOf(db, 'meta');
  await db.batch([...ops, { type: 'put', sublevel: meta, key: 'version', value: json(SCHEMA_VERSION) }]);
  await compact(db);
  return ops.length / 3;
}

/** Rewrites a version-1 `.swck` file sealed under `key` (atomically, same path). */
export async function migrateCheckpointFile(path: string, key: ModelKey): Promise<void> {
  const bytes = new Uint8Array(await readFile(path));
  const magic = new TextEncoder().encode('SWCK1\n');
  if (!magic.every((b, i) => bytes[i] === b)) {
    throw new StoreError(
      'CHECKPOINT_FORMAT',
      `${path} is not an unencrypted (version 1) swarmd checkpoint file`,
    );
  }
  const plain = bytes.subarray(magic.length);
  const manifestLength = new DataView(plain.buffer, plain.byteOffset).getUint32(0, true);
  const manifest = safeJson(plain.subarray(4, 4 + manifestLength)) as { id?: unknown } | undefined;
  const cp = decodeCheckpoint(String(manifest?.id ?? '(unnamed)'), plain, path);
  assertKeyMatches(key, cp.manifest.keyFingerprint, `checkpoint file ${path}`);
  await exportCheckpointFile(cp, path, key);
}
