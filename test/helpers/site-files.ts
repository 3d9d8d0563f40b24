import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { initSite, trainLocal } from '../../src/node/index.js';

export interface SiteFilesOptions {
  /** The data file the site trains on. */
  data: string;
  classNames: string[];
  /** Overrides of site.yaml's fields. */
  site?: Record<string, unknown>;
}

/** A one-site swarm's files under `root/name` (swarm.yaml, site.yaml) without keys or database. */
export async function writeSiteFiles(root: string, name: string, o: SiteFilesOptions) {
  const dir = join(root, name);
  await mkdir(dir);
  const swarm = { swarmId: 'bad-input', pskFile: 'swarm.psk', members: [], minPeers: 1 };
  const model = { arch: 'mlp', classNames: o.classNames };
  await writeFile(join(dir, 'swarm.yaml'), stringify({ ...swarm, model }));
  const config = join(dir, 'site.yaml');
  const base = {
    site: name,
    dataDir: 'db',
    keyFile: 'site.key',
    swarmConfig: 'swarm.yaml',
    data: { path: o.data },
  };
  await writeFile(config, stringify({ ...base, listen: ['/ip4/127.0.0.1/tcp/0'], ...o.site }));
  return { dir, config };
}

/** The same, initialised in-process: key, PSK, database with identity, the site listed in swarm.yaml. */
export async function makeSite(root: string, name: string, o: SiteFilesOptions) {
  const { dir, config } = await writeSiteFiles(root, name, o);
  await initSite({ configPath: config, newKey: true, newPsk: join(dir, 'swarm.psk'), addToSwarm: true });
  return { dir, config };
}

/** A checkpoint database trained in-process on `data` (a few epochs; what the CLI tests infer from). */
export async function trainCheckpoint(
  data: string,
  key: string,
  out: string,
  o: { arch: 'linear' | 'mlp'; epochs: number },
) {
  await trainLocal({
    dataPath: data,
    keyPath: key,
    outPath: out,
    csv: {},
    split: { testFraction: 0.2, valFraction: 0.15, seed: 1 },
    model: { arch: o.arch },
    train: { epochs: o.epochs, batchSize: 32, learningRate: 1e-3, seed: 1, patience: null },
    backend: 'cpu',
  });
}
