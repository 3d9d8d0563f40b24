import { readPskFile } from '../../src/swarm/index.js';
import {
  createSwarmHost,
  deriveTopicKey,
  generateIdentity,
  peerIdOf,
  pskSecret,
  signWith,
  type SwarmHost,
} from '../../src/swarm/index.js';
import { FuzzMessages } from './fuzz-messages.js';
import { checkLogs, createRng, createSoakSwarm, finishTogether, sleep, until } from './swarm.js';

/*
 * The fuzz soak: two honest sites (real daemons) and one member that sends `messages` mutated and random
 * wire messages of every type, by gossip and over the direct protocol, while the honest sites train. They
 * must not crash, must keep committing (during and after the flood) and their round logs must verify and
 * agree at the end.
 */
export interface FuzzSoakOptions {
  messages: number;
  seed?: number;
  /** Messages per second the member sends. */
  rate?: number;
  say?: (line: string) => void;
}

export interface FuzzSoakResult {
  ok: boolean;
  problems: string[];
  sent: number;
  /** Sent messages by kind (type/mutation). */
  kinds: number;
  /** Direct requests the honest peers answered (with anything) vs. refused or dropped. */
  direct: { answered: number; failed: number };
  /** Rounds the honest sites committed while the member was sending, and after it. */
  commitsDuring: number;
  commitsAfter: number;
  /** What the honest sites counted as dropped, by reason (summed over both). */
  dropped: Record<string, number>;
  /** The round every honest site ran to after the flood (their logs are compared up to it). */
  finalRound: number;
  logVerdicts: string[];
  durationMs: number;
}

const HONEST = 2;

export async function runFuzzSoak(o: FuzzSoakOptions): Promise<FuzzSoakResult> {
  const started = Date.now();
  const say = o.say ?? (() => {});
  const rng = createRng(o.seed ?? 1);
  const problems: string[] = [];
  const key = await generateIdentity();
  const self = peerIdOf(key);
  const swarm = await createSoakSwarm({
    sites: HONEST,
    seed: o.seed ?? 1,
    swarm: { minPeers: 2, rounds: 1_000_000, roundDeadlineMs: 8_000, commitTimeoutMs: 3_000 },
    extraMembers: { fuzzer: self },
  });
  let host: SwarmHost | null = null;
  const round = async () =>
    Math.min(
      ...(await Promise.all([0, 1].map((i) => swarm.status(i, 3000)))).map((s) => s.lastCommit?.round ?? -1),
    );
  try {
    for (let i = 0; i < HONEST; i++) await swarm.launch(i);
    const members = swarm.sites.map((s) => s!.peerId).concat(self);
    await until(async () => (await round()) >= 1, 300_000, 'round 1 committed');
    const psk = await readPskFile(`${swarm.dir}/swarm.psk`);
    host = await createSwarmHost({
      privateKey: key,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      psk,
      swarmId: 'soak',
      members,
      bootstrap: swarm.sites.map((s) => s!.addrs[0]),
    });
    await host.start();
    const h = host;
    await until(
      async () => swarm.sites.every((s) => h.meshPeers('control').includes(s!.peerId)),
      60_000,
      'the member in the mesh',
    );
    const gen = new FuzzMessages(
      {
        swarmId: 'soak',
        self,
        members,
        topicKey: deriveTopicKey(pskSecret(psk), 'soak'),
        sign: signWith(key),
      },
      rng,
    );
    const before = await round();
    const direct = { answered: 0, failed: 0 };
    const inFlight = new Set<Promise<void>>();
    const kinds = new Set<string>();
    let now = before + 1;
    const interval = 1000 / (o.rate ?? 200);
    const t0 = Date.now();
    for (let i = 0; i < o.messages; i++) {
      if (i % 200 === 0) {
        now = (await round().catch(() => now - 1)) + 1;
        if (i > 0) say(`sent ${i}/${o.messages}; honest sites at round ${now}`);
      }
      const m = await gen.next(i, now);
      kinds.add(m.kind);
      if (m.via === 'gossip') await h.publish(m.topic, m.bytes).catch(() => undefined);
      else {
        const to = swarm.sites[i % HONEST]!.peerId;
        const p = h
          .request(to, m.bytes, { timeoutMs: 3000 })
          .then(
            () => void direct.answered++,
            () => void direct.failed++,
          )
          .finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= 8) await Promise.race(inFlight);
      }
      const due = t0 + (i + 1) * interval - Date.now();
      if (due > 0) await sleep(due);
    }
    await Promise.all(inFlight);
    const during = await round();
    await until(async () => (await round()) >= during + 2, 180_000, 'two more commits after the flood').catch(
      (err: Error) => problems.push(err.message),
    );
    const after = await round();
    const crashed = swarm.sites.filter((s) => s!.proc.exitCode !== null || s!.proc.signalCode !== null);
    if (crashed.length > 0) problems.push(`${crashed.length} honest daemon(s) exited`);
    if (during - before < 1)
      problems.push(`no commit while the member was sending (round ${before} → ${during})`);
    const dropped: Record<string, number> = {};
    for (let i = 0; i < HONEST; i++) {
      for (const [r, n] of Object.entries((await swarm.status(i)).dropped))
        dropped[r] = (dropped[r] ?? 0) + n;
      if (/internal error|uncaught|unhandled/i.test(swarm.sites[i]!.output()))
        problems.push(`${swarm.names[i]} logged an unexpected error`);
    }
    await host.stop();
    host = null;
    const finalRound = await finishTogether(swarm, 300_000).catch((err: Error) => {
      problems.push(err.message);
      return -1;
    });
    const logs = await checkLogs(swarm);
    if (!logs.ok) problems.push(`round logs: ${logs.verdicts.join(' | ')} (equal: ${logs.equal})`);
    return {
      ok: problems.length === 0,
      problems,
      sent: o.messages,
      kinds: kinds.size,
      direct,
      commitsDuring: during - before,
      commitsAfter: after - during,
      dropped,
      finalRound,
      logVerdicts: logs.verdicts,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    for (const [i, s] of swarm.sites.entries())
      say(`--- ${swarm.names[i]} log tail\n${s?.output().slice(-2000)}`);
    throw err;
  } finally {
    await host?.stop();
    await swarm.stopAll(5000);
  }
}
