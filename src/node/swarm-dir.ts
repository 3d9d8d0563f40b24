import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeKeyFile, type ModelKey } from '../inr/index.js';
import type { Dataset } from '../models/index.js';
import { createSwarmPsk, writePskFile } from '../swarm/index.js';
import { TCGA, writeRowsFiles, type SitePlan } from './demo-data.js';
import { addMember, initSite } from './init.js';

export interface SwarmDirOptions {
  /** Folder holding the bundled TCGA file. */
  dataDir: string;
  key: ModelKey;
  /** swarm.yaml fields besides the PSK, members and model classes (swarmId, minPeers, rounds, timings, …). */
  swarm: Record<string, unknown> & { swarmId: string; model: Record<string, unknown> };
  /** Per-site config fields (training, log), by site index. */
  site: (i: number) => Record<string, unknown>;
}

/**
 * A ready-to-start swarm on one machine, as the demo, the result table and the integration tests run it:
 * key file, PSK, swarm.yaml listing every site's real peer id (from `initSite`), and one site config per
 * site (loopback, ports from 0) on its share of the TCGA set. Returns the site config paths.
 */
export async function writeSwarmDir(
  dir: string,
  ds: Dataset,
  plan: SitePlan,
  names: string[],
  o: SwarmDirOptions,
): Promise<string[]> {
  await writeKeyFile(join(dir, 'site.key'), o.key);
  await writePskFile(join(dir, 'swarm.psk'), createSwarmPsk());
  const rowFiles = await writeRowsFiles(ds, plan, join(dir, 'rows'), names);
  const swarmPath = join(dir, 'swarm.yaml');
  const model = { arch: 'proteomics', classNames: ds.classNames, ...o.swarm.model };
  await writeFile(swarmPath, stringify({ pskFile: 'swarm.psk', members: [], ...o.swarm, model }));
  const configs: string[] = [];
  for (const [i, name] of names.entries()) {
    const path = join(dir, `${name}.yaml`);
    const data = {
      path: join(o.dataDir, TCGA.file),
      ignore: [...TCGA.ignore],
      group: TCGA.group,
      rowsFile: rowFiles[i],
    };
    await writeFile(
      path,
      stringify({
        site: name,
        dataDir: join(dir, 'db', name),
        keyFile: 'site.key',
        swarmConfig: 'swarm.yaml',
        data,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        http: { host: '127.0.0.1', port: 0 },
        ...o.site(i),
      }),
    );
    const r = await initSite({ configPath: path });
    await addMember(swarmPath, name, r.peerId);
    configs.push(path);
  }
  return configs;
}
