import { InputError } from '../core/index.js';

/** mulberry32: small, fast, and identical on every machine for a given seed. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], rng: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

export interface StratifiedSplitOptions {
  testFraction: number;
  seed: number;
  /** Rows sharing a group value land on the same side (e.g. a patient's tumour and normal samples). */
  groups?: string[];
}

/**
 * Stratified split: each class contributes round(testFraction × its size) to the test side (at least one
 * when the class has two or more units). With groups, the unit is a group, stratified by its first label.
 */
export function stratifiedSplit(
  labels: Int32Array,
  o: StratifiedSplitOptions,
): { train: number[]; test: number[] } {
  if (!(o.testFraction > 0 && o.testFraction < 1)) {
    throw new InputError('SPLIT_FRACTION', `split fraction must be between 0 and 1, got ${o.testFraction}`);
  }
  const units = groupUnits(labels, o.groups);
  const byClass = new Map<number, number[][]>();
  for (const u of units) {
    pushTo(byClass, labels[u[0]], u);
  }
  const rng = createRng(o.seed);
  const train: number[] = [];
  const test: number[] = [];
  for (const k of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffle(byClass.get(k)!, rng);
    const nTest = members.length < 2 ? 0 : Math.max(1, Math.round(members.length * o.testFraction));
    members.forEach((u, i) => (i < nTest ? test : train).push(...u));
  }
  return { train: train.sort((a, b) => a - b), test: test.sort((a, b) => a - b) };
}

function groupUnits(labels: Int32Array, groups?: string[]): number[][] {
  if (!groups) return Array.from(labels, (_, i) => [i]);
  const units = new Map<string, number[]>();
  groups.forEach((g, i) => pushTo(units, g, i));
  return [...units.values()];
}

export interface PartitionOptions {
  sites: number;
  seed: number;
  groups?: string[];
  /** 'random': units dealt evenly; 'dirichlet': per-class site shares ~ Dir(alpha) (label skew). */
  mode: 'random' | 'dirichlet';
  alpha?: number;
}

/** Splits rows across sites (a group never straddles sites). Every site gets at least one unit. */
export function partitionSites(labels: Int32Array, rows: number[], o: PartitionOptions): number[][] {
  const rng = createRng(o.seed);
  const groups = o.groups;
  const units = groupUnits(
    Int32Array.from(rows, (r) => labels[r]),
    groups && rows.map((r) => groups[r]),
  ).map((u) => u.map((i) => rows[i]));
  const sites: number[][] = Array.from({ length: o.sites }, () => []);
  if (units.length < o.sites)
    throw new InputError('SPLIT_SITES', `${units.length} units cannot fill ${o.sites} sites`);
  const shuffled = shuffle(units, rng);
  if (o.mode === 'random') {
    shuffled.forEach((u, i) => sites[i % o.sites].push(...u));
  } else {
    const byClass = new Map<number, number[][]>();
    for (const u of shuffled) pushTo(byClass, labels[u[0]], u);
    for (const k of [...byClass.keys()].sort((a, b) => a - b)) {
      const shares = dirichlet(o.sites, o.alpha ?? 0.5, rng);
      const members = byClass.get(k)!;
      let cum = 0;
      let start = 0;
      shares.forEach((p, s) => {
        cum += p;
        const end = s === o.sites - 1 ? members.length : Math.round(cum * members.length);
        for (const u of members.slice(start, end)) sites[s].push(...u);
        start = end;
      });
    }
    rebalanceEmpty(sites);
  }
  return sites.map((s) => s.sort((a, b) => a - b));
}

/** A site with no rows cannot train: move one row from the largest site. */
function rebalanceEmpty(sites: number[][]): void {
  for (const s of sites) {
    if (s.length > 0) continue;
    const largest = sites.reduce((a, b) => (b.length > a.length ? b : a));
    s.push(largest.pop()!);
  }
}

/** Dirichlet sample via normalised Gamma(alpha) draws (Marsaglia–Tsang, with the alpha < 1 boost). */
export function dirichlet(k: number, alpha: number, rng: () => number): number[] {
  const g = Array.from({ length: k }, () => gamma(alpha, rng));
  const sum = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / sum);
}

function gamma(alpha: number, rng: () => number): number {
  if (alpha < 1) return gamma(alpha + 1, rng) * Math.pow(Math.max(rng(), 1e-300), 1 / alpha);
  const d = alpha - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng();
    if (Math.log(Math.max(u, 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

function normal(rng: () => number): number {
  const u = Math.max(rng(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
