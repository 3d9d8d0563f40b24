/**
 * Node: the daemon's composition root (config → store → model work → libp2p host → swarm peer → status
 * server, stopped in reverse) and the site-level commands: init, local training, offline inference, status.
 * It wires models, swarm and storage together; nothing below it imports from here.
 */
export { inferOffline, trainLocal } from './local.js';
export type {
  InferOptions,
  InferResult,
  OutOfRangeRow,
  TrainLocalOptions,
  TrainLocalResult,
} from './local.js';
export { migrateCheckpoints } from './migrate.js';
export { exportRecord, verifyRecordFile, verifySiteLog } from './log-verify.js';
export { certQuorumOf, swarmGenesis } from './swarm-genesis.js';
export type { LogVerdict } from './log-verify.js';
export type { MigrateOptions } from './migrate.js';
export { startDaemon } from './daemon.js';
export type { Daemon, DaemonOptions } from './daemon.js';
export { initSite, addMember } from './init.js';
export { writeClassNames } from './classes.js';
export type { ClassNamesResult } from './classes.js';
export type { InitOptions, InitResult } from './init.js';
export { loadSiteConfig, loadSwarmConfig, SiteConfigSchema, SwarmConfigSchema } from './config.js';
export type { SiteConfig, SwarmConfig } from './config.js';
export { createLogger, fetchStatus, formatStatusTable } from './status/index.js';
export type { StatusSnapshot } from './status/index.js';
export { TCGA, loadTcga, planSites, siteName, writeRowsFiles } from './demo-data.js';
export type { SitePlan } from './demo-data.js';
export { runDemo, formatDemoTable, parseDemoMerge } from './demo.js';
export type { DemoAdversary, DemoMerge, DemoOptions, DemoRow } from './demo.js';
export { launchSite } from './launcher.js';
export type { LaunchedSite } from './launcher.js';
export { evaluateCheckpoint, trainBaseline } from './evaluate.js';
export { writeSwarmDir } from './swarm-dir.js';
export { SiteWork, honestWork } from './site-work.js';
export type { SiteRoundWork, SiteWorkFactory, SiteWorkInit } from './round-work.js';
export type { SiteData } from './site-data.js';
export { writeCrashLog } from './crash-log.js';
export type { SwarmDirOptions } from './swarm-dir.js';
export { noiseSharing, privacyPlan, privacyStatus, roundsToTrain } from './privacy-config.js';
export type { PrivacyConfig, PrivacyPlan } from './privacy-config.js';
export { privateWork } from './private-work.js';
