import { dirname, isAbsolute, resolve } from 'node:path';
import type { Document } from 'yaml';
import { InputError } from '../core/index.js';
import { KeyFileError, generateModelKey, loadKeyFile, writeKeyFile, type ModelKey } from '../inr/index.js';
import { assertDatabaseFolder, openStore } from '../storage/index.js';
import { createSwarmPsk, writePskFile } from '../swarm/index.js';
import { readSwarmDocument, writeDocument } from './swarm-document.js';
import { loadSiteConfig, type SiteConfig } from './config.js';
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
  // Both configs are checked before anything is created: a broken swarm config used to fail after the
  // database and identity existed.
  const swarmDoc =
    o.addToSwarm || o.newPsk === true
      ? await readSwarmDocument(site.swarmConfig, siteFiles(o.configPath, site))
      : null;
  if (o.addToSwarm) membersOf(swarmDoc!, site.swarmConfig);
  await assertDataDirPrivate(site.dataDir);
  await assertDatabaseFolder(site.dataDir); // a folder swarmd may not write is refused before the key and PSK
  const wrote: string[] = [];
  if (o.newKey) {
    await writeKeyFile(site.keyFile, generateModelKey()).catch((err: unknown) => {
      // keygen's hint (--force) does not apply here: init never replaces a key.
      if ((err as { code?: string }).code !== 'KEY_FILE_EXISTS') throw err;
      throw new InputError(
        'KEY_FILE_EXISTS',
        `keyFile ${site.keyFile} already exists: run init without --new-key (only the first site of a new swarm creates the key), or set keyFile to a new path`,
      );
    });
    wrote.push(site.keyFile);
  }
  const key = await identityKey(site.keyFile); // before the PSK: a missing key file leaves nothing written
  if (o.newPsk) {
    const at =
      typeof o.newPsk === 'string' ? resolve(o.newPsk) : configuredPskFile(site.swarmConfig, swarmDoc!);
    await writePskFile(at, createSwarmPsk());
    wrote.push(at);
  }
  const store = await openStore(site.dataDir, { key });
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
function configuredPskFile(swarmPath: string, doc: Document): string {
  const psk: unknown = doc.toJS()?.pskFile;
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
  const members = membersOf(doc, swarmPath);
  const others = members.filter((m) =>
    typeof m === 'string' ? m !== peerId : m.name !== name && m.peerId !== peerId,
  );
  doc.set('members', [...others, { name, peerId }]);
  await writeDocument(swarmPath, doc);
}

/** The files a site config names that are never the swarm config `init` rewrites. */
function siteFiles(configPath: string, site: SiteConfig) {
  return [
    { path: configPath, what: 'the site config itself' },
    { path: site.keyFile, what: 'the model key file (keyFile)' },
    { path: site.data.path, what: 'the data file (data.path)' },
  ];
}

/** The swarm config's members: a plain peer id string (older configs) or `{name, peerId}` each. */
function membersOf(doc: Document, swarmPath: string): (string | { name?: string; peerId: string })[] {
  const listed: unknown = doc.toJS()?.members;
  if (listed === undefined || listed === null) return [];
  if (
    !Array.isArray(listed) ||
    listed.some((m) => typeof m !== 'string' && (typeof m !== 'object' || m === null))
  ) {
    throw new InputError(
      'CONFIG_INVALID',
      `members in ${swarmPath} is not a list of members: fix it (members: [])`,
    );
  }
  return listed as (string | { name?: string; peerId: string })[];
}
