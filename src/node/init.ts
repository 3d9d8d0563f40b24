import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { InputError } from '../core/index.js';
import { generateModelKey, writeKeyFile } from '../inr/index.js';
import { openStore } from '../storage/index.js';
import { createSwarmPsk, writePskFile } from '../swarm/index.js';
import { loadSiteConfig } from './config.js';
import { assertDataDirPrivate, createIdentity } from './identity.js';

export interface InitOptions {
  configPath: string;
  /** Write a new model key file at the config's keyFile (the first site of a swarm does this once). */
  newKey?: boolean;
  /** Write a new swarm PSK at this path (the first site of a swarm does this once). */
  newPsk?: string;
  /** Append this site to the swarm config's member list (the config file is rewritten in place). */
  addToSwarm?: boolean;
}

export interface InitResult {
  site: string;
  peerId: string;
  created: boolean;
  dataDir: string;
  wrote: string[];
}

/** `swarmd init`: the site's database with a fresh libp2p identity; optionally the swarm's shared secrets. */
export async function initSite(o: InitOptions): Promise<InitResult> {
  const site = await loadSiteConfig(o.configPath);
  const wrote: string[] = [];
  if (o.newKey) {
    await writeKeyFile(site.keyFile, generateModelKey());
    wrote.push(site.keyFile);
  }
  if (o.newPsk) {
    await writePskFile(o.newPsk, createSwarmPsk());
    wrote.push(o.newPsk);
  }
  await assertDataDirPrivate(site.dataDir);
  const store = await openStore(site.dataDir);
  let identity;
  try {
    identity = await createIdentity(store);
  } finally {
    await store.close();
  }
  if (o.addToSwarm) await addMember(site.swarmConfig, site.site, identity.peerId);
  return {
    site: site.site,
    peerId: identity.peerId,
    created: identity.created,
    dataDir: site.dataDir,
    wrote,
  };
}

/** Adds or updates `{name, peerId}` in the swarm config's `members`, keeping the file's comments. */
export async function addMember(swarmPath: string, name: string, peerId: string): Promise<void> {
  await access(swarmPath).catch(() => {
    throw new InputError(
      'CONFIG_MISSING',
      `swarm config ${swarmPath} does not exist: create it first (see configs/)`,
    );
  });
  const doc = parseDocument(await readFile(swarmPath, 'utf8'));
  const members = (doc.toJS()?.members ?? []) as { name: string; peerId: string }[];
  const next = [...members.filter((m) => m.name !== name && m.peerId !== peerId), { name, peerId }];
  doc.set('members', next);
  const tmp = `${swarmPath}.tmp-${process.pid}`;
  await writeFile(tmp, doc.toString());
  await rename(tmp, swarmPath);
}
