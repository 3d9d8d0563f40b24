import { decodeTensors, defaultLearningRate, InputError, type Logger } from '../core/index.js';
import { assertKeyMatches, loadKeyFile } from '../inr/index.js';
import {
  createTask,
  parseBackendPreference,
  parseRecordedModelConfig,
  startTrainingWorker,
  standardizerFromJSON,
  type FeatureTransform,
  type ModelConfig,
  type Standardizer,
} from '../models/index.js';
import {
  createRoundLog,
  openStore,
  removeStaleExports,
  type RoundLog as StoredLog,
  type Store,
} from '../storage/index.js';
import {
  commitSummary,
  createSwarmHost,
  createSwarmPeer,
  peerIdOf,
  pskSecret,
  readPskFile,
  signWith,
  verifyFromPeerId,
  type SwarmHost,
  type SwarmPeer,
} from '../swarm/index.js';
import { loadSiteConfig, loadSwarmConfig, type SiteConfig, type SwarmConfig } from './config.js';
import { warnAboutSiteData } from './data-warnings.js';
import { DiskUsage } from './disk-usage.js';
import { assertExportTarget } from './export-target.js';
import { assertDataDirPrivate, loadIdentity } from './identity.js';
import { explainListenFailure } from './listen-error.js';
import { loadSiteData } from './site-data.js';
import { siteRoundLog } from './site-log.js';
import { swarmModelConfig } from './swarm-model.js';
import { taskKeepColumn } from './task-config.js';
import { honestWork } from './site-work.js';
import type { SiteWorkFactory } from './round-work.js';
import { certQuorumOf, swarmGenesis } from './swarm-genesis.js';
import { sitePrivacy } from './private-work.js';
import {
  createLogger,
  createMetrics,
  createStatusServer,
  type RoundHistoryEntry,
  type StatusServer,
} from './status/index.js';
import { RoundHistory, statusSource, wireMetrics } from './status-source.js';

export interface DaemonOptions {
  configPath: string;
  /** Extra bootstrap multiaddrs (`--bootstrap`), added to the config's. */
  bootstrap?: string[];
  logger?: Logger;
  /** The site's round work (default: honest training, `honestWork`); `swarmd start` never passes another. */
  work?: SiteWorkFactory;
}

export interface Daemon {
  peerId: string;
  addrs(): string[];
  statusUrl: string;
  peer: SwarmPeer;
  stop(): Promise<void>;
}

/**
 * The composition root: builds store → key → data → model work → host → swarm peer → status server in
 * order, and stops them in reverse. Nothing runs in the background that stop() does not end.
 */
export async function startDaemon(o: DaemonOptions): Promise<Daemon> {
  const site = await loadSiteConfig(o.configPath);
  const swarm = await loadSwarmConfig(site.swarmConfig);
  await assertExportTarget(o.configPath, site, swarm);
  const log = o.logger ?? createLogger({ level: site.log.level, pretty: site.log.pretty });
  const stack: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const close of stack.reverse()) await close();
    stack.length = 0;
  };
  try {
    return await build(site, swarm, o, log, stack, stop);
  } catch (err) {
    await stop();
    throw err;
  }
}

async function build(
  site: SiteConfig,
  swarm: SwarmConfig,
  o: DaemonOptions,
  log: Logger,
  stack: (() => Promise<void> | void)[],
  stop: () => Promise<void>,
): Promise<Daemon> {
  // Training runs in a thread of its own (it selects the backend): this one stays free for network and /status.
  const engine = await startTrainingWorker(parseBackendPreference(site.backend));
  stack.push(() => engine.close());
  const backend = engine.backend;
  const skipped = backend.skipped.map((s) => s.name);
  log.info({ backend: backend.name, device: backend.device, skipped }, 'tfjs backend selected');
  log.info(
    { site: effectiveConfig(site), swarm: { ...swarm, members: swarm.members.length } },
    'effective config',
  );
  const key = await loadKeyFile(site.keyFile);
  await assertDataDirPrivate(site.dataDir);
  const store = await openStore(site.dataDir, { key, keepCheckpoints: site.keepCheckpoints });
  stack.push(() => store.close());
  const disk = await startDiskHygiene(site, log);
  stack.push(() => disk.stop());
  const identity = await loadIdentity(store);
  const self = peerIdOf(identity);
  if (!swarm.members.some((m) => m.peerId === self)) {
    throw new InputError(
      'NOT_A_MEMBER',
      `this site's peer id ${self} is not in ${site.swarmConfig}'s members: run ` +
        `\`swarmd init --config <this site's config> --add-to-swarm\` (or add it there by hand)`,
    );
  }
  const pinned = await store.getMeta<string>('key-fingerprint');
  if (pinned) assertKeyMatches(key, pinned, `this site's database ${site.dataDir}`);
  else await store.putMeta('key-fingerprint', key.fingerprint);
  const psk = await readPskFile(swarm.pskFile);
  const data = await loadSiteData(site, {
    classNames: swarm.model.classNames,
    keepColumn: taskKeepColumn(swarm.task),
    transform: swarm.preprocess.transform,
    swarmConfigPath: site.swarmConfig,
  });
  warnAboutSiteData(log, data, swarm.preprocess.transform);
  const metrics = createMetrics();
  const members = swarm.members.map((m) => m.peerId);
  const memberSet = new Set(members);
  const roundLog = createRoundLog(store, {
    decode: (bytes) => commitSummary(bytes, swarm.swarmId, memberSet),
  });
  const resume = await resumePoint(store, roundLog);
  const model = swarmModelConfig(swarm, data.ds, resume.modelConfig ?? null, site.swarmConfig);
  assertSameTransform(resume.standardizer, swarm.preprocess.transform, site.swarmConfig);
  if (resume.modelConfig !== undefined)
    assertSameLock(parseRecordedModelConfig(resume.modelConfig), model, site.swarmConfig);
  const history = new RoundHistory((await store.getMeta<RoundHistoryEntry[]>('history')) ?? []);
  const workInit = {
    data,
    model,
    key,
    trainer: await engine.createTrainer(model, { kind: 'key', key }),
    training: {
      ...site.training,
      learningRate: site.training.learningRate ?? defaultLearningRate(model.arch),
    },
    backend: backend.name,
    standardizer: resume.standardizer,
    transform: swarm.preprocess.transform,
    onTrained: (round: number, m: Record<string, number>) => history.trained(round, m),
  };
  const work = (o.work ?? honestWork)(workInit, { log });
  stack.push(() => work.dispose());
  const privacy = await sitePrivacy(swarm, work, log); // swarm config `privacy`: DP on top of secure
  const host: SwarmHost = await createSwarmHost({
    privateKey: identity,
    listen: site.listen,
    psk,
    swarmId: swarm.swarmId,
    members,
    bootstrap: [...site.bootstrap, ...(o.bootstrap ?? [])],
    log,
    onRefused: (peerId, direction) =>
      log.warn({ peer: peerId, direction }, 'refused a non-member connection'),
  });
  await host.start().catch((err: unknown) => {
    throw explainListenFailure(err, o.configPath);
  });
  stack.push(() => host.stop());
  const peer = createSwarmPeer(
    {
      swarmId: swarm.swarmId,
      self,
      members,
      minPeers: swarm.minPeers,
      certQuorum: certQuorumOf(swarm),
      genesis: swarmGenesis(swarm),
      merge: swarm.merge,
      mergeOptions: {
        ...{ trim: swarm.trim, clipNorm: swarm.clipNorm, maxUpdateNorm: swarm.maxUpdateNorm },
        ...{ normMultiple: swarm.normMultiple, maxSampleWeight: swarm.maxSampleWeight },
      },
      roundDeadlineMs: swarm.roundDeadlineMs,
      commitTimeoutMs: swarm.commitTimeoutMs,
      ...(swarm.aggregation === 'secure' ? { secure: swarm.secure } : {}),
      maxRounds: privacy.maxRounds,
      swarmSecret: pskSecret(psk),
      sign: signWith(identity),
      verify: verifyFromPeerId,
      resume: resume.commit,
      resumeStats: resume.stats,
    },
    {
      ...{ host, work: privacy.work },
      roundLog: siteRoundLog({
        ...{ log: roundLog, work, exportPath: site.exportCheckpoint!, history, key },
        roundMetrics: privacy.roundMetrics,
        onApplied: (round, durationMs) => {
          disk.refresh();
          if (round === 0) return; // the statistics round writes no checkpoint and trains nothing
          metrics.checkpointWrites.inc();
          metrics.roundDuration.observe(durationMs / 1000);
        },
      }),
      log,
      onEvent: wireMetrics(metrics, memberNames(swarm)),
    },
  );
  await peer.start();
  stack.push(() => peer.stop());
  const server: StatusServer = createStatusServer({
    host: site.http.host,
    port: site.http.port,
    token: site.http.token,
    source: statusSource({
      peer,
      host,
      backend: backend.name,
      backendDevice: backend.device,
      swarmId: swarm.swarmId,
      ...{ history, disk, names: memberNames(swarm) },
      ...{ rounds: privacy.maxRounds, privacy: privacy.plan },
      task: { kind: model.task, score: createTask(model).headline },
    }),
    metrics,
    log,
  });
  const { url } = await server.start();
  stack.push(() => server.stop());
  log.info({ peer: self, addrs: host.addrs(), status: url }, 'swarmd started');
  return { peerId: self, addrs: () => host.addrs(), statusUrl: url, peer, stop };
}

/** Where a restarted site picks up: its last applied commit, those merged weights, and the shared transform. */
async function resumePoint(store: Store, log: StoredLog) {
  const last = await log.head();
  const prep = await store.getMeta<unknown>('preprocessing');
  const standardizer = prep === undefined ? null : standardizerFromJSON(prep);
  const stats = await statsRound(store);
  if (!last) return { commit: null, standardizer, stats, modelConfig: undefined };
  const cp = last.round > 0 ? await store.latestCheckpoint() : undefined;
  const merged = cp?.tensors ?? new Map();
  if (cp && cp.manifest.round !== last.round) {
    throw new InputError(
      'STORE_INCONSISTENT',
      `database ${store.path}: the latest checkpoint is not the last logged round`,
    );
  }
  const commit = { ...last, prevHash: last.prevHash ?? null, merged };
  return { commit, standardizer, stats, modelConfig: cp?.manifest.modelConfig };
}

/** The statistics round's commit and merged statistics, if this site applied it. */
async function statsRound(store: Store) {
  const [round0] = await store.getLog(0);
  const encoded = await store.getMeta<string>('statsTensors');
  if (round0?.round !== 0 || encoded === undefined) return null;
  return { bytes: round0.bytes, merged: decodeTensors(Buffer.from(encoded, 'base64')) };
}

/** Removes export temp files a killed daemon left (this process holds the database now) and measures the disk. */
async function startDiskHygiene(site: SiteConfig, log: Logger): Promise<DiskUsage> {
  const removed = await removeStaleExports(site.exportCheckpoint!);
  if (removed.length > 0) log.info({ files: removed }, 'removed stale checkpoint export temp files');
  const disk = new DiskUsage(site.dataDir, log);
  disk.refresh();
  return disk;
}

/** A database trained under one transform cannot continue under another: the weights assume the first. */
function assertSameTransform(s: Standardizer | null, transform: FeatureTransform, swarmPath: string): void {
  if (s === null || s.transform === transform) return;
  throw new InputError(
    'TRANSFORM_CHANGED',
    `this site's database was trained with preprocess.transform ${s.transform}, but ${swarmPath} now says ` +
      `${transform}: restore the setting, or start a new swarm (new dataDir at every site)`,
  );
}

/**
 * A database trained under the INR lock cannot continue without it (`inr: null` silently dropped the lock
 * of every later checkpoint), nor under another lock: the weights assume the first.
 */
function assertSameLock(was: ModelConfig, now: ModelConfig, swarmPath: string): void {
  const lock = (c: ModelConfig) => (c.inr === null ? 'none' : c.inr.lock);
  if (lock(was) === lock(now)) return;
  throw new InputError(
    'LOCK_CHANGED',
    `this site's database was trained with model lock ${lock(was)}, but ${swarmPath} now says ` +
      `${lock(now)} (model.inr): restore the setting, or start a new swarm (new dataDir at every site)`,
  );
}

function memberNames(swarm: SwarmConfig): Map<string, string> {
  return new Map(swarm.members.flatMap((m) => (m.name === null ? [] : [[m.peerId, m.name] as const])));
}

/**
 * The config as printed at start: paths and numbers, never the token. The token is left out, not replaced:
 * the logger would print any `token` field as "[redacted]", even one saying it is unset.
 */
function effectiveConfig(site: SiteConfig) {
  const { token, ...http } = site.http;
  return { ...site, http: { ...http, auth: token === undefined ? 'none' : 'bearer token' } };
}
