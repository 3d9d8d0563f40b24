import { readFile } from 'node:fs/promises';
import { InputError, writeOutput } from '../core/index.js';
import { loadKeyFile } from '../inr/index.js';
import { createRoundLog, openStore, readCheckpointFile } from '../storage/index.js';
import {
  auditRecord,
  commitSummary,
  decodeCommitRecord,
  genesisDifference,
  verifyAuditRecord,
  verifyCertificate,
  verifyCommitSignature,
  verifyFromPeerId,
  type SignedCommit,
} from '../swarm/index.js';
import { loadSiteConfig, loadSwarmConfig, type SwarmConfig } from './config.js';
import { siteInputs } from './export-target.js';
import { certQuorumOf, swarmGenesis } from './swarm-genesis.js';

/*
 * Auditing the round log: `swarmd log verify` walks a site's database, `swarmd log export` writes the
 * certified chain as a record, and `swarmd log verify --record` checks such a record offline against the
 * swarm config alone (no model key, no swarm secret, no daemon).
 */
export interface LogVerdict {
  ok: boolean;
  /** One line for the user: "OK: rounds 0..N, chain intact, M commits" or where and why the chain breaks. */
  line: string;
  /** Entries checked (the whole log when ok; the intact ones before the break otherwise). */
  rounds: number;
}

/**
 * `swarmd log verify`: walks the site's whole round log — rounds consecutive from 0, each entry linked to
 * the one before, its bytes the signed commit its hashes name, signed by its aggregator, a member, and
 * certified by a quorum of members (entries written before certificates are named as such). Opens the
 * database without creating anything; a running daemon holds its lock, which gives the "in use" error.
 */
export async function verifySiteLog(configPath: string): Promise<LogVerdict> {
  const site = await loadSiteConfig(configPath);
  const swarm = await loadSwarmConfig(site.swarmConfig);
  const members = new Set(swarm.members.map((m) => m.peerId));
  const store = await openStore(site.dataDir, { mustExist: true });
  try {
    const log = createRoundLog(store, {
      decode: (bytes) => commitSummary(bytes, swarm.swarmId, members),
    });
    const check = await log.verify();
    if (!check.ok) return broken(check.round, check.reason, check.rounds);
    const entries = await log.read(0);
    const ctx = { swarmId: swarm.swarmId, members, quorum: certQuorumOf(swarm), verify: verifyFromPeerId };
    const genesis = swarmGenesis(swarm);
    const uncertified: number[] = [];
    for (const e of entries) {
      const signed = decodeCommitRecord(e.bytes, swarm.swarmId, members)!;
      if (!(await verifyCommitSignature(signed, verifyFromPeerId)))
        return broken(
          e.round,
          `the signature of aggregator ${signed.commit.aggregator} does not verify`,
          e.round,
        );
      if (signed.certificate === undefined) {
        uncertified.push(e.round);
        continue;
      }
      const cert = await verifyCertificate(signed, ctx);
      if (!cert.ok) return broken(e.round, `its certificate does not hold: ${cert.detail}`, e.round);
      const differs = genesisDifference(signed.commit.genesis, genesis, e.round);
      if (differs !== null) return broken(e.round, differs, e.round);
    }
    if (entries.length === 0)
      return {
        ok: true,
        rounds: 0,
        line: `OK: the round log of ${site.dataDir} is empty (nothing committed yet)`,
      };
    const last = entries.length - 1;
    const note =
      uncertified.length === 0
        ? ', every commit certified'
        : `; rounds ${spans(uncertified)} carry no certificate (written before certificates: who agreed to them cannot be checked)`;
    return {
      ok: true,
      rounds: entries.length,
      line: `OK: rounds 0..${last}, chain intact, ${entries.length} commits (head ${check.head})${note}`,
    };
  } finally {
    await store.close();
  }
}

/** `swarmd log export`: the site's certified chain as a JSON record; refuses to replace a file unless forced. */
export async function exportRecord(o: { configPath: string; out: string; force?: boolean }): Promise<string> {
  const site = await loadSiteConfig(o.configPath);
  const swarm = await loadSwarmConfig(site.swarmConfig);
  const members = new Set(swarm.members.map((m) => m.peerId));
  const store = await openStore(site.dataDir, { mustExist: true });
  let chain: SignedCommit[];
  try {
    chain = (await store.getLog(0)).map((e) => {
      const signed = decodeCommitRecord(e.bytes, swarm.swarmId, members);
      if (signed === undefined)
        throw new InputError(
          'LOG_CORRUPT',
          `round ${e.round} of ${site.dataDir} does not decode: run \`swarmd log verify\``,
        );
      return signed;
    });
  } finally {
    await store.close();
  }
  const record = auditRecord(swarm.swarmId, chain, new Date().toISOString());
  // A new file, or (--force) an existing one; never the site's own inputs or a key file.
  await writeOutput(
    {
      path: o.out,
      what: 'record',
      fix: 'choose another --out, or pass --force to replace a file that is not an input',
      force: o.force,
      inputs: siteInputs(o.configPath, site, swarm),
    },
    `${JSON.stringify(record, null, 1)}\n`,
  );
  const uncertified = chain.filter((s) => s.certificate === undefined).length;
  const note =
    uncertified === 0 ? '' : ` (${uncertified} without a certificate: written before certificates)`;
  return `wrote the record of rounds 0..${chain.length - 1} of swarm ${swarm.swarmId} to ${o.out}${note}`;
}

/**
 * `swarmd log verify --record`: checks an exported record against the swarm config alone — every
 * certificate, the chain from round 0, the genesis — and, given a checkpoint file and its model key, that
 * the checkpoint's weights are the certified model of the round it names.
 */
export async function verifyRecordFile(o: {
  record: string;
  swarmPath: string;
  checkpoint?: string;
  keyPath?: string;
}): Promise<LogVerdict> {
  const swarm = await loadSwarmConfig(o.swarmPath);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(o.record, 'utf8'));
  } catch (err) {
    throw new InputError(
      'RECORD_READ',
      `cannot read ${o.record} as a JSON record: ${(err as Error).message}`,
    );
  }
  const check = await verifyAuditRecord(json, recordContext(swarm));
  if (!check.ok) {
    const intact = check.round ?? 0;
    return check.round === null
      ? { ok: false, rounds: 0, line: `BROKEN: ${check.reason}` }
      : broken(check.round, check.reason, intact);
  }
  const last = check.rounds - 1;
  const base = `OK: rounds 0..${last} certified by a quorum of ${certQuorumOf(swarm)} of ${swarm.members.length} members, chain intact, genesis matches ${o.swarmPath} (head ${check.head})`;
  if (o.checkpoint === undefined) return { ok: true, rounds: check.rounds, line: base };
  return checkpointVerdict(o.checkpoint, o.keyPath, check.mergedHashes, base, check.rounds);
}

async function checkpointVerdict(
  path: string,
  keyPath: string | undefined,
  mergedHashes: string[],
  base: string,
  rounds: number,
): Promise<LogVerdict> {
  if (keyPath === undefined)
    throw new InputError(
      'RECORD_CHECKPOINT_KEY',
      `checking ${path} needs --key: checkpoint weights are encrypted under the model key (it is read here only)`,
    );
  const cp = await readCheckpointFile(path, await loadKeyFile(keyPath));
  const round = cp.manifest.round;
  if (round === null || round >= mergedHashes.length)
    return {
      ok: false,
      rounds,
      line: `MISMATCH: checkpoint ${cp.manifest.id} names round ${round}, not in the record`,
    };
  if (mergedHashes[round] !== cp.manifest.tensorsHash)
    return {
      ok: false,
      rounds,
      line: `MISMATCH: the weights of ${path} are not the certified model of round ${round} (hash ${cp.manifest.tensorsHash}, certified ${mergedHashes[round]})`,
    };
  return { ok: true, rounds, line: `${base}; ${path} is the certified model of round ${round}` };
}

function recordContext(swarm: SwarmConfig) {
  return {
    swarmId: swarm.swarmId,
    members: new Set(swarm.members.map((m) => m.peerId)),
    minPeers: swarm.minPeers,
    quorum: certQuorumOf(swarm),
    merge: swarm.merge,
    genesis: swarmGenesis(swarm),
    verify: verifyFromPeerId,
  };
}

/** "0..3, 7" for [0, 1, 2, 3, 7]. */
function spans(rounds: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < rounds.length;) {
    let j = i;
    while (j + 1 < rounds.length && rounds[j + 1] === rounds[j] + 1) j++;
    out.push(i === j ? `${rounds[i]}` : `${rounds[i]}..${rounds[j]}`);
    i = j + 1;
  }
  return out.join(', ');
}

function broken(round: number, reason: string, intact: number): LogVerdict {
  const before = intact === 0 ? 'no round before it is intact' : `rounds 0..${intact - 1} are intact`;
  return { ok: false, rounds: intact, line: `BROKEN at round ${round}: ${reason} (${before})` };
}
