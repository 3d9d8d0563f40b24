import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError } from '../core/index.js';
import { KeyFileError, generateModelKey, loadKeyFile, writeKeyFile, type ModelKey } from '../inr/index.js';
import { openStore } from '../storage/index.js';
import { createSwarmPsk, writePskFile } from '../swarm/index.js';
import { readSwarmDocument, writeDocument } from './classes.js';
import { loadSiteConfig } from './config.js';
import { assertDataDirPrivate, createIdentity } from './identity.js';

export interface InitOptions {
  configPath: string;
  /** Write a new model key file at the config's keyFile (the first site of a swarm does this once). */
  newKey?: boolean;
  /**
   * Write a new swarm PSK (the first site of a swarm does this once): `true` writes it at the swarm config's
   * `pskFile` (relative to the swarm config, like every path in a config); a string is a path given on the
   * command line (relative to the working directory).
   */
  newPsk?: string | boolean;
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
    const at = typeof o.newPsk === 'string' ? resolve(o.newPsk) : await configuredPskFile(site.swarmConfig);
    await writePskFile(at, createSwarmPsk());
    wrote.push(at);
  }
  await assertDataDirPrivate(site.dataDir);
  const store = await openStore(site.dataDir, { key: await identityKey(site.keyFile) });
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

/** The model key the identity is sealed under; init at a site that has not received it yet says so. */
async function identityKey(keyFile: string): Promise<ModelKey> {
  try {
    return await loadKeyFile(keyFile);
  } catch (err) {
    if (!(err instanceof KeyFileError) || err.code !== 'KEY_FILE_MISSING') throw err;
    throw new KeyFileError(
      'KEY_FILE_MISSING',
      keyFile,
      `key file ${keyFile} does not exist, and init seals this site's peer identity under the swarm's model ` +
        "key: copy the swarm's key file there first (the first site of a new swarm passes --new-key)",
      { cause: err },
    );
  }
}

/** The swarm config's `pskFile`, resolved against the swarm config's folder; the config need not be complete. */
async function configuredPskFile(swarmPath: string): Promise<string> {
  const psk: unknown = (await readSwarmDocument(swarmPath)).toJS()?.pskFile;
  if (typeof psk !== 'string' || psk === '') {
    throw new InputError(
      'CONFIG_INVALID',
      `${swarmPath} has no pskFile: add \`pskFile: swarm.psk\` (relative to that file), or pass --new-psk <file>`,
    );
  }
  return isAbsolute(psk) ? psk : resolve(dirname(swarmPath), psk);
}

/** Adds or updates `{name, peerId}` in the swarm config's `members`, keeping the file's comments. */
export async function addMember(swarmPath: string, name: string, peerId: string): Promise<void> {
  const doc = await readSwarmDocument(swarmPath);
  const listed: unknown = doc.toJS()?.members;
  // A member may be a plain peer id string (older configs) or `{name, peerId}`.
  const members = (Array.isArray(listed) ? listed : []) as (string | { name?: string; peerId: string })[];
  const others = members.filter((m) =>
    typeof m === 'string' ? m !== peerId : m.name !== name && m.peerId !== peerId,
  );
  doc.set('members', [...others, { name, peerId }]);
  await writeDocument(swarmPath, doc);
}
