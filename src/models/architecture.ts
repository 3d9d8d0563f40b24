import { createHash } from 'node:crypto';
import { InputError, type NamedTensors } from '../core/index.js';
import type { ModelConfig } from './config.js';

/**
 * What every site must build identically, as a list of entries (input width, task and head, lock settings,
 * then the backbone layer by layer), and its exchange at round 0: each site adds one 16-bit hash per entry
 * to its statistics, the swarm sums them with the statistics, and every site compares the sum with its own
 * hashes times the number of sites. A difference names the first entry where some site differs, in this
 * site's terms, and the site refuses to go on: FedAvg of differently built models merges noise. Nothing
 * derived from the model key enters the entries.
 */
const SLOTS = 64;
const ENTRIES = 'arch/entries';
const SITES = 'arch/sites';

export function describeArchitecture(c: ModelConfig): string[] {
  const backbone =
    c.arch === 'layers'
      ? c.layers.map((spec) => `layer ${JSON.stringify(spec)}`)
      : [
          `arch ${c.arch} embed ${c.embedDim} blocks ${c.blocks} decoder ${c.decoderHidden} hidden ${c.hidden.join(',')}`,
        ];
  return [
    `input ${c.inputDim}`,
    `task ${c.task} outputs ${c.numClasses} targets ${c.targets.join(',')} loss ${c.loss} embedding ${c.embeddingDim}`,
    `lock ${c.inr === null ? 'none' : JSON.stringify(c.inr)}`,
    `dropout ${c.dropout} l2 ${c.l2} seed ${c.seed}`,
    ...backbone,
  ];
}

/** 16 bits per entry: sums of up to 256 sites stay exact in float32. */
function entryHash(entry: string): number {
  return createHash('sha256').update(entry).digest().readUInt16BE(0);
}

function slots(entries: string[]): string[] {
  if (entries.length <= SLOTS) return entries;
  return [...entries.slice(0, SLOTS - 1), entries.slice(SLOTS - 1).join('\n')];
}

/** This site's contribution to the round-0 sum. */
export function architectureTensors(entries: string[]): NamedTensors {
  const data = new Float32Array(SLOTS);
  slots(entries).forEach((e, i) => (data[i] = entryHash(e)));
  return new Map([
    [ENTRIES, { shape: [SLOTS], data }],
    [SITES, { shape: [1], data: Float32Array.of(1) }],
  ]);
}

/** Refuses when the swarm's summed architecture is not `sites ×` this site's, naming the first difference. */
export function assertSameArchitecture(entries: string[], merged: NamedTensors, where: string): void {
  const sum = merged.get(ENTRIES)?.data;
  const sites = merged.get(SITES)?.data[0];
  if (!sum || sites === undefined)
    throw new InputError(
      'ARCH_MISSING',
      `the swarm's round 0 carries no model architecture: every site must run this version`,
    );
  const own = slots(entries);
  for (let i = 0; i < SLOTS; i++) {
    const mine = i < own.length ? entryHash(own[i]) : 0;
    if (sum[i] === mine * sites) continue;
    const what =
      i < own.length
        ? `"${own[i].split('\n')[0]}"`
        : `nothing (it has ${own.length} entries, another site more)`;
    throw new InputError(
      'ARCH_MISMATCH',
      `the sites do not build the same model: entry ${i + 1} of the architecture differs, where this site has ${what}; ` +
        `every site needs the same ${where} (model and task sections) and data with the same columns`,
    );
  }
}
