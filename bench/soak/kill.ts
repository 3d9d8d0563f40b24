import { readdir } from 'node:fs/promises';
import { hashTensors } from '../../src/core/index.js';
import { loadKeyFile } from '../../src/inr/index.js';
import { loadSiteConfig } from '../../src/node/index.js';
import { openStore, readCheckpointFile } from '../../src/storage/index.js';
import { identityFromBytes, peerIdOf } from '../../src/swarm/index.js';
import { checkLogs, logTails, createRng, createSoakSwarm, finishTogether, sleep, until } from './swarm.js';

/*
 * The kill soak: a 3-site swarm of real daemons; `kills` times, after a random delay (so at a random phase of
 * the round), one random site gets SIGKILL and is started again at once. Each restart must open its
 * database, keep its peer id and catch up with the others. At the end every site runs to the same last
 * round; their round logs must verify and be equal, and their final models identical.
 */
export interface KillSoakOptions {
  kills: number;
  seed?: number;
  /** Longest random wait before a kill (ms). */
  maxDelayMs?: number;
  say?: (line: string) => void;
}

export interface KillSoakResult {
  ok: boolean;
  problems: string[];
  kills: number;
  /** Phase of the victim (from its /status just before the kill), counted. */
  phases: Record<string, number>;
  /** Restart to /status with a resumed commit, and to caught up with the others (ms): median and max. */
  restartMs: { median: number; max: number };
  rejoinMs: { median: number; max: number };
  finalRound: number;
  logVerdicts: string[];
  modelHash: string | null;
  tmpFilesLeft: number;
  durationMs: number;
}

const SITES = 3;

export async function runKillSoak(o: KillSoakOptions): Promise<KillSoakResult> {
  const started = Date.now();
  const say = o.say ?? (() => {});
  const rng = createRng(o.seed ?? 1);
  const problems: string[] = [];
  const phases: Record<string, number> = {};
  const restartMs: number[] = [];
  const rejoinMs: number[] = [];
  const swarm = await createSoakSwarm({
    sites: SITES,
    seed: o.seed ?? 1,
    swarm: { minPeers: 2, rounds: 1_000_000, roundDeadlineMs: 30_000, commitTimeoutMs: 3_000 },
  });
  const round = async (i: number) => (await swarm.status(i, 2000)).lastCommit?.round ?? -1;
  try {
    for (let i = 0; i < SITES; i++) await swarm.launch(i);
    const ids = swarm.sites.map((s) => s!.peerId);
    await until(async () => (await round(0)) >= 1, 300_000, 'round 1 committed');
    say(`swarm up in ${swarm.dir}: ${ids.join(', ')}`);
    for (let k = 0; k < o.kills; k++) {
      await sleep(rng() * (o.maxDelayMs ?? 6000));
      const i = Math.floor(rng() * SITES);
      const phase = await swarm.status(i, 1000).then(
        (s) => s.phase,
        () => 'unreachable',
      );
      phases[phase] = (phases[phase] ?? 0) + 1;
      const others = [0, 1, 2].filter((x) => x !== i);
      const swarmRound = Math.max(...(await Promise.all(others.map((x) => round(x).catch(() => -1)))));
      swarm.sites[i]!.proc.kill('SIGKILL');
      await swarm.sites[i]!.stop(5000);
      const t0 = Date.now();
      const s = await swarm.launch(i);
      if (s.peerId !== ids[i]) problems.push(`kill ${k + 1}: ${swarm.names[i]} came back as ${s.peerId}`);
      await until(async () => (await swarm.status(i, 2000)).lastCommit !== null, 60_000, 'resumed status');
      restartMs.push(Date.now() - t0);
      await until(async () => (await round(i)) >= swarmRound, 180_000, `${swarm.names[i]} catching up`).catch(
        (err: Error) => problems.push(`kill ${k + 1}: ${err.message}`),
      );
      rejoinMs.push(Date.now() - t0);
      say(
        `kill ${k + 1}/${o.kills}: ${swarm.names[i]} in ${phase} at round ~${swarmRound + 1}; back in ${restartMs.at(-1)} ms, caught up in ${rejoinMs.at(-1)} ms`,
      );
      if (problems.length > 0) break;
    }
    // Every site runs to one last round, then stops: their logs and final models are compared.
    const finalRound = await finishTogether(swarm, 300_000).catch((err: Error) => {
      problems.push(err.message);
      return -1;
    });
    const logs = await checkLogs(swarm);
    if (!logs.ok) problems.push(`round logs: ${logs.verdicts.join(' | ')} (equal: ${logs.equal})`);
    const idsNow = await Promise.all(swarm.configs.map(storedPeerId));
    if (idsNow.join() !== ids.join()) problems.push(`stored identities changed: ${idsNow.join(', ')}`);
    const models = await Promise.all(swarm.configs.map((c) => finalModel(c, swarm.key)));
    if (models.some((m) => m.round !== finalRound))
      problems.push(`final checkpoints at rounds ${models.map((m) => m.round).join(', ')}`);
    if (new Set(models.map((m) => m.hash)).size !== 1)
      problems.push(`final models differ: ${models.map((m) => m.hash).join(', ')}`);
    const tmpFilesLeft = (await readdir(`${swarm.dir}/db`)).filter((f) => f.includes('.tmp-')).length;
    if (tmpFilesLeft > 0) problems.push(`${tmpFilesLeft} checkpoint temp files left`);
    return {
      ok: problems.length === 0,
      problems,
      kills: restartMs.length,
      phases,
      restartMs: spread(restartMs),
      rejoinMs: spread(rejoinMs),
      finalRound,
      logVerdicts: logs.verdicts,
      modelHash: models[0].hash,
      tmpFilesLeft,
      durationMs: Date.now() - started,
    };
  } catch (err) {
    say(logTails(swarm, 2000));
    throw err;
  } finally {
    await swarm.stopAll(5000);
  }
}

async function storedPeerId(config: string): Promise<string> {
  const site = await loadSiteConfig(config);
  const store = await openStore(site.dataDir, { mustExist: true, key: await loadKeyFile(site.keyFile) });
  try {
    return peerIdOf(identityFromBytes((await store.getIdentity())!));
  } finally {
    await store.close();
  }
}

/** The site's exported latest checkpoint (what `swarmd infer` reads): its round and weights hash. */
async function finalModel(config: string, key: Parameters<typeof readCheckpointFile>[1]) {
  const cp = await readCheckpointFile((await loadSiteConfig(config)).exportCheckpoint!, key);
  return { round: cp.manifest.round, hash: hashTensors(cp.tensors) };
}

function spread(ms: number[]): { median: number; max: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)] ?? 0, max: s.at(-1) ?? 0 };
}
