import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchStatus,
  formatStatusTable,
  initSite,
  loadSwarmConfig,
  startDaemon,
  writeClassNames,
  type Daemon,
} from '../../src/node/index.js';
import { createLogger } from '../../src/node/status/index.js';
import { generateModelKey, writeKeyFile } from '../../src/inr/index.js';
import { waitFor } from '../helpers/wait.js';

// A new consortium as the README's operator guide sets it up, on a data set that is not TCGA (Khan: 63
// tumours, 4 classes): configs with relative paths, `swarmd init` writing the key and PSK, `swarmd classes`
// writing model.classNames, then one site started and watched through /status until its rounds finish.
const SWARM_YAML = `# the consortium
swarmId: khan-demo
pskFile: secrets/swarm.psk # relative to this file
members: []
minPeers: 1
rounds: 2
roundDeadlineMs: 60000
commitTimeoutMs: 5000
model:
  arch: mlp
  classNames: [RMS, EWS] # a first guess, completed by swarmd classes
`;
const SITE_YAML = `site: oslo
dataDir: db/oslo
keyFile: secrets/site.key
swarmConfig: swarm.yaml
data:
  path: khan.csv.gz
http: { port: 0 }
training: { epochsPerRound: 1 }
backend: cpu
log: { level: warn, pretty: false }
`;

describe('a new consortium on the Khan data set', () => {
  let dir: string;
  let daemon: Daemon | undefined;
  const swarmPath = () => join(dir, 'swarm.yaml');
  const sitePath = () => join(dir, 'oslo.yaml');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'swarmd-onboard-'));
    await copyFile('data/datamicroarray_khan.csv.gz', join(dir, 'khan.csv.gz'));
    await writeFile(swarmPath(), SWARM_YAML);
    await writeFile(sitePath(), SITE_YAML);
    await mkdir(join(dir, 'secrets'));
    return () => rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });
  const logger = createLogger({ level: 'silent' });

  it('accepts plain peer id strings as members, names the fix for an empty member list, and inits only with the key file', async () => {
    const id = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq';
    const plain = join(dir, 'plain.yaml');
    await writeFile(plain, SWARM_YAML.replace('members: []', `members: [${id}]`));
    expect((await loadSwarmConfig(plain)).members).toEqual([{ name: null, peerId: id }]);
    // Before the swarm's key file arrives, init refuses (it seals the identity under that key) and writes nothing.
    await expect(initSite({ configPath: sitePath() })).rejects.toMatchObject({
      code: 'KEY_FILE_MISSING',
      message: expect.stringMatching(
        /init seals this site's peer identity under the swarm's model key: copy/,
      ),
    });
    await expect(stat(join(dir, 'db', 'oslo'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(startDaemon({ configPath: sitePath(), logger })).rejects.toThrow(
      /members: no members yet: run `swarmd init --config <site config> --add-to-swarm`/,
    );
  });

  it('writes the key at keyFile and the PSK at pskFile, each relative to its own config', async () => {
    const r = await initSite({ configPath: sitePath(), newKey: true, newPsk: true, addToSwarm: true });
    expect(r.wrote).toEqual([join(dir, 'secrets', 'site.key'), join(dir, 'secrets', 'swarm.psk')]);
    for (const f of r.wrote) expect((await stat(f)).mode & 0o777).toBe(0o600);
    const swarm = await loadSwarmConfig(swarmPath());
    expect(swarm.members).toEqual([{ name: 'oslo', peerId: r.peerId }]);
  });

  it("refuses to start with another key file: the site's identity is sealed under the swarm's key", async () => {
    await writeKeyFile(join(dir, 'secrets', 'other.key'), generateModelKey());
    const other = join(dir, 'other.yaml');
    await writeFile(other, SITE_YAML.replace('keyFile: secrets/site.key', 'keyFile: secrets/other.key'));
    await expect(startDaemon({ configPath: other, logger })).rejects.toMatchObject({
      code: 'KEY_MISMATCH',
      message: expect.stringContaining(`the peer identity in database ${join(dir, 'db', 'oslo')}`),
    });
  });

  it('names model.classNames when the data holds a class the config lacks', async () => {
    await expect(startDaemon({ configPath: sitePath(), logger })).rejects.toThrow(
      new RegExp(`label 'NB'.*model\\.classNames of ${swarmPath().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
  });

  it('swarmd classes appends the missing classes, keeping the listed order and the comments', async () => {
    const r = await writeClassNames({
      swarmConfigPath: swarmPath(),
      dataPath: join(dir, 'khan.csv.gz'),
      label: 'label',
    });
    // Listed first (RMS, EWS), then the data's others in sorted order.
    expect(r.classNames).toEqual(['RMS', 'EWS', 'BL', 'NB']);
    expect(r.added).toEqual(['BL', 'NB']);
    const text = await readFile(swarmPath(), 'utf8');
    expect(text).toContain('# the consortium');
    expect(text).toContain('classNames: [ RMS, EWS, BL, NB ]');
    expect(
      (
        await writeClassNames({
          swarmConfigPath: swarmPath(),
          dataPath: join(dir, 'khan.csv.gz'),
          label: 'label',
        })
      ).added,
    ).toEqual([]);
  });

  it('runs its rounds and shows member names, accuracy and "finished after round 2" in status', async () => {
    const lines: string[] = [];
    const destination = { write: (line: string) => void lines.push(line) };
    daemon = await startDaemon({
      configPath: sitePath(),
      logger: createLogger({ pretty: false, destination }),
    });
    // No http.token in the site config: the effective config says so, not "[redacted]".
    const effective = lines.find((l) => l.includes('"effective config"'))!;
    expect(effective).toContain('"auth":"none"');
    expect(effective).not.toContain('[redacted]');
    const url = daemon.statusUrl;
    const done = await waitFor(
      async () => {
        const s = await fetchStatus(url, { timeoutMs: 5000 });
        return s.finishedAfterRound === 2 ? s : null;
      },
      { timeoutMs: 120_000, intervalMs: 500, what: 'round 2 finished' },
    );
    expect(done.members).toEqual([
      expect.objectContaining({ name: 'oslo', peerId: daemon.peerId, self: true }),
    ]);
    const text = formatStatusTable(done, Date.now());
    expect(text).toContain('round       finished after round 2');
    expect(text).toMatch(/accuracy {4}\d+\.\d% \(merged model of round 2, this site's validation split\)/);
    expect(text).toContain(`  oslo  ${daemon.peerId}  self`);
  });

  it('refuses to continue its locked database with model.inr: null, before anything is written', async () => {
    const text = await readFile(swarmPath(), 'utf8');
    await writeFile(swarmPath(), text.replace('  arch: mlp\n', '  arch: mlp\n  inr: null\n'));
    try {
      await expect(startDaemon({ configPath: sitePath(), logger })).rejects.toThrow(
        /trained with model lock infl, but .*swarm\.yaml now says none \(model\.inr\): restore the setting/,
      );
    } finally {
      await writeFile(swarmPath(), text);
    }
  });
});
