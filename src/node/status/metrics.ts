import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StatusSnapshot } from './status.js';

/** Every metric swarmd exports, on a registry of its own so that two daemons in one process don't collide. */
export interface SwarmdMetrics {
  registry: Registry;
  roundsCommitted: Counter;
  roundDuration: Histogram;
  bytesSent: Counter<'topic'>;
  bytesReceived: Counter<'topic'>;
  peersConnected: Gauge;
  membersLive: Gauge;
  messagesDropped: Counter<'reason'>;
  updatesExcluded: Counter<'peer' | 'reason'>;
  memberOffences: Counter<'peer' | 'offence'>;
  trainLoss: Gauge;
  valAccuracy: Gauge;
  checkpointWrites: Counter;
  round: Gauge;
}

/** A round takes from about a second (tiny models, loopback) to minutes (real sites, slow links). */
const ROUND_DURATION_BUCKETS_SECONDS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

export function createMetrics(): SwarmdMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'swarmd_' });
  const registers = [registry];
  return {
    registry,
    roundsCommitted: new Counter({
      name: 'swarmd_rounds_committed_total',
      help: 'Rounds whose commit this peer verified and applied',
      registers,
    }),
    roundDuration: new Histogram({
      name: 'swarmd_round_duration_seconds',
      help: 'Time from the start of local training to the applied commit',
      buckets: ROUND_DURATION_BUCKETS_SECONDS,
      registers,
    }),
    bytesSent: new Counter({
      name: 'swarmd_bytes_sent_total',
      help: 'Payload bytes published or streamed, by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    bytesReceived: new Counter({
      name: 'swarmd_bytes_received_total',
      help: 'Payload bytes received, by topic',
      labelNames: ['topic'] as const,
      registers,
    }),
    peersConnected: new Gauge({
      name: 'swarmd_peers_connected',
      help: 'Swarm members this site holds a direct connection to (messages may also arrive relayed)',
      registers,
    }),
    membersLive: new Gauge({
      name: 'swarmd_members_live',
      help: 'Members live (heard within the liveness window, this site included): what status and the rounds count',
      registers,
    }),
    messagesDropped: new Counter({
      name: 'swarmd_messages_dropped_total',
      help: 'Messages refused or discarded, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    updatesExcluded: new Counter({
      name: 'swarmd_updates_excluded_total',
      help: 'Updates applied commits left out, by member (name where the swarm config gives one) and reason',
      labelNames: ['peer', 'reason'] as const,
      registers,
    }),
    memberOffences: new Counter({
      name: 'swarmd_member_offences_total',
      help: 'Misbehaviour seen from members (each piece of evidence once), by member and offence',
      labelNames: ['peer', 'offence'] as const,
      registers,
    }),
    trainLoss: new Gauge({
      name: 'swarmd_train_loss',
      help: 'Training loss of the last local round',
      registers,
    }),
    valAccuracy: new Gauge({
      name: 'swarmd_val_accuracy',
      help: "The task's validation score of the last local round (status task.score: accuracy 0..1, R², ARI)",
      registers,
    }),
    checkpointWrites: new Counter({
      name: 'swarmd_checkpoint_writes_total',
      help: 'Checkpoints written to the store',
      registers,
    }),
    round: new Gauge({ name: 'swarmd_round', help: 'Current round number', registers }),
  };
}

/** Sets the gauges that mirror `/status` from the same snapshot, just before a scrape: they cannot differ. */
export function observeStatus(
  m: Pick<SwarmdMetrics, 'membersLive' | 'peersConnected'>,
  s: StatusSnapshot,
): void {
  m.membersLive.set(s.membersLive);
  m.peersConnected.set(s.members.filter((x) => !x.self && x.connected).length);
}
