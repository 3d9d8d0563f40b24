import { access, readFile } from 'node:fs/promises';
import { isMap, parseDocument, type Document } from 'yaml';
import { InputError, placeOutput, writeOutput, type NamedPath, type OutputFile } from '../core/index.js';

/*
 * The swarm config as an editable YAML document (comments kept), for the commands that update it in place
 * (`classes`, `init --add-to-swarm`). It need not be complete yet, but it must be a swarm config: a folder,
 * a CSV, broken YAML or a site config is refused before anything is read or written.
 */

/** Keys only a site config has: their presence means the user passed the wrong file. */
const SITE_KEYS = ['site', 'dataDir', 'keyFile', 'swarmConfig'];

/** Reads and checks the swarm config at `path`, and that it can be rewritten there (`inputs` never). */
export async function readSwarmDocument(path: string, inputs: NamedPath[] = []): Promise<Document> {
  if (!(await exists(path))) {
    throw new InputError(
      'CONFIG_MISSING',
      `swarm config ${path} does not exist: create it first (see configs/)`,
    );
  }
  const place = await placeOutput(swarmConfigOutput(path, inputs));
  if (place.kind !== 'replace') {
    throw new InputError(
      'CONFIG_NOT_SWARM',
      `swarm config ${path} is a device or pipe: pass the swarm config file`,
    );
  }
  const doc = parseDocument(await readFile(path, 'utf8'));
  const [first] = doc.errors;
  if (first) {
    throw new InputError(
      'CONFIG_YAML',
      `${path} is not valid YAML: ${first.message.split('\n')[0].replace(/:$/, '')}; fix the file (see configs/swarm.yaml)`,
    );
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new InputError(
      'CONFIG_NOT_SWARM',
      `${path} is not a swarm config (YAML with swarmId, pskFile, members, model): pass the swarm config`,
    );
  }
  const site = SITE_KEYS.find((k) => doc.has(k));
  if (site) {
    throw new InputError(
      'CONFIG_IS_SITE',
      `${path} is a site config (it has ${site}:), not the swarm config: pass the file its swarmConfig names`,
    );
  }
  return doc;
}

/** Rewrites the swarm config (atomically; its mode and a symbolic link to it are kept). */
export async function writeDocument(path: string, doc: Document): Promise<void> {
  // lineWidth 0: a long class list stays on one line instead of a folded flow sequence.
  await writeOutput(swarmConfigOutput(path, []), doc.toString({ lineWidth: 0 }));
}

function swarmConfigOutput(path: string, inputs: NamedPath[]): OutputFile {
  return {
    path,
    what: 'swarm config',
    fix: 'pass the swarm config (YAML) to update',
    isOurs: () => true, // any YAML file the user names as the swarm config: its content is checked above
    inputs,
  };
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );
