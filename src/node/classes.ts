import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { parseDocument, type Document } from 'yaml';
import { InputError } from '../core/index.js';
import { loadColumnValues } from '../models/index.js';

export interface ClassNamesResult {
  classNames: string[];
  /** Classes the config did not list before (all of them for a new config). */
  added: string[];
}

/**
 * `swarmd classes`: writes the label column's classes into the swarm config's `model.classNames`. Classes
 * already listed keep their position (a swarm's models index classes by it); new ones are appended, sorted.
 */
export async function writeClassNames(o: {
  swarmConfigPath: string;
  dataPath: string;
  label: string;
}): Promise<ClassNamesResult> {
  const found = await loadColumnValues(o.dataPath, o.label);
  const doc = await readSwarmDocument(o.swarmConfigPath);
  const listed: unknown = doc.toJS()?.model?.classNames;
  const before = Array.isArray(listed) ? listed.map(String) : [];
  const added = found.filter((c) => !before.includes(c));
  const classNames = [...before, ...added];
  if (classNames.length < 2) {
    throw new InputError(
      'CLASSES_TOO_FEW',
      `${o.dataPath} holds ${classNames.length} class(es) in column '${o.label}': a classifier needs at least 2`,
    );
  }
  if (!doc.has('model')) doc.set('model', doc.createNode({}));
  doc.setIn(['model', 'classNames'], doc.createNode(classNames, { flow: true }));
  await writeDocument(o.swarmConfigPath, doc);
  return { classNames, added };
}

/** The swarm config as an editable YAML document (comments kept); it need not be valid yet. */
export async function readSwarmDocument(path: string): Promise<Document> {
  await access(path).catch(() => {
    throw new InputError(
      'CONFIG_MISSING',
      `swarm config ${path} does not exist: create it first (see configs/)`,
    );
  });
  return parseDocument(await readFile(path, 'utf8'));
}

export async function writeDocument(path: string, doc: Document): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  // lineWidth 0: a long class list stays on one line instead of a folded flow sequence.
  await writeFile(tmp, doc.toString({ lineWidth: 0 }));
  await rename(tmp, path);
}
