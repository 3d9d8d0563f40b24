import { isMap } from 'yaml';
import { InputError } from '../core/index.js';
import { loadColumnValues } from '../models/index.js';
import { readSwarmDocument, writeDocument } from './swarm-document.js';

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
  // The target first: a wrong --config is refused before the data is read.
  const doc = await readSwarmDocument(o.swarmConfigPath, [
    { path: o.dataPath, what: 'the data file (--data)' },
  ]);
  const model: unknown = doc.get('model');
  if (model !== undefined && model !== null && !isMap(model)) {
    throw new InputError(
      'CONFIG_INVALID',
      `model in ${o.swarmConfigPath} is not a section (model: with arch, classNames)`,
    );
  }
  const before = listedClassNames(doc.toJS()?.model?.classNames, o.swarmConfigPath);
  const found = await loadColumnValues(o.dataPath, o.label);
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

/** The classes the config lists already; anything but a list of names is refused, not replaced. */
function listedClassNames(listed: unknown, path: string): string[] {
  if (listed === undefined || listed === null) return [];
  if (!Array.isArray(listed) || listed.some((c) => typeof c !== 'string' && typeof c !== 'number')) {
    throw new InputError(
      'CONFIG_INVALID',
      `model.classNames in ${path} is not a list of class names (e.g. [tumour, normal]): fix it or remove it to write it from the data`,
    );
  }
  return listed.map(String);
}
