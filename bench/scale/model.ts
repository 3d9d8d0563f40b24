/*
 * A model of one swarm round's cost per peer as the swarm grows (issue 20), from the protocol as built:
 * - an update of ≤ 64 KiB (MAX_GOSSIP_UPDATE_BYTES) travels by gossip: its author flood-publishes it to the
 *   n − 1 others (gossipsub floodPublish) and every receiver forwards it to its mesh peers but the source,
 *   min(D, n − 1) − 1 of them (D = 6), so each message costs (n − 1)·min(D, n − 1) copies on the wire;
 *   larger updates are pulled over the direct protocol: n − 1 copies (the floor). Small control messages go
 *   by gossip.
 * - secure: the masked update is 1.75× (7-byte residues), plus advert, shares (one sealed envelope per
 *   holder), reveal; the mask graph has degree k (n − 1 with `all`, 2⌈log2 n⌉ + 2 with `auto`).
 * - ring all-reduce, the bandwidth-optimal bound for a sum every peer needs: 2(n − 1)/n × model per peer.
 * Messages count what a peer sends (publishes and direct frames), hellos excluded (one per tick).
 */
import { MAX_CHUNK_BYTES, MAX_GOSSIP_UPDATE_BYTES } from '../../src/swarm/protocol/index.js';

export const GOSSIP_MESH_DEGREE = 6;
const MASKED_BYTES_PER_WEIGHT = 7 / 4;
const PEER_ID_BYTES = 52;
const SHARE_VALUE_BYTES = 66;
const ENVELOPE_BYTES = 2 * SHARE_VALUE_BYTES + 16;
const HASH_BYTES = 32;
const ADVERT_BYTES = 2 * 32 + 64 + PEER_ID_BYTES;

export type GraphDegree = 'all' | 'auto' | number;

export interface CostInput {
  peers: number;
  /** Encoded update bytes (float32 weights + names). */
  modelBytes: number;
  aggregation: 'plain' | 'secure';
  graphDegree?: GraphDegree;
  dropoutFraction?: number;
}

export interface RoundCost {
  transfer: 'gossip' | 'pulled';
  /** Messages one peer sends per round (hellos excluded). */
  messages: number;
  /** Payload bytes one peer sends per round (what `status` counts as sent). */
  appBytes: number;
  /** Bytes on TCP one peer sends per round (gossip copies included). */
  wireBytes: number;
  /** Mask graph degree k and the threshold t of k + 1 holders (secure); 0 for plain. */
  degree: number;
  threshold: number;
  /** Model-sized PRG expansions one peer computes: k + 1 to mask, n self masks to unmask (no dropouts). */
  expansions: number;
  ringAllReduceBytes: number;
}

/** SecAgg+ degree as `graphDegree: auto` chooses it (src/swarm/protocol/secagg/threshold.ts). */
export function autoDegree(n: number): number {
  return Math.min(n - 1, 2 * Math.ceil(Math.log2(Math.max(n, 2))) + 2);
}

export function maskDegree(n: number, g: GraphDegree = 'all'): number {
  if (g === 'all') return n - 1;
  return Math.min(n - 1, g === 'auto' ? autoDegree(n) : g);
}

/** Copies of one gossip message on the wire, per message (the author's flood plus the mesh forwards). */
export function gossipCopies(n: number): number {
  return (n - 1) * Math.min(GOSSIP_MESH_DEGREE, n - 1);
}

export function roundCost(c: CostInput): RoundCost {
  const n = c.peers;
  const secure = c.aggregation === 'secure';
  const update = secure ? c.modelBytes * MASKED_BYTES_PER_WEIGHT : c.modelBytes;
  const chunks = Math.ceil(update / MAX_CHUNK_BYTES);
  const gossiped = update <= MAX_GOSSIP_UPDATE_BYTES;
  // Own update: manifest + the chunk (gossip) or every other peer's pulls (n − 1)·chunks answered; its
  // own pulls of the others' chunks: (n − 1)·chunks requests. The commit: one peer in n publishes it.
  const updateMessages = 1 + (gossiped ? 1 : 2 * (n - 1) * chunks) + 1 / n;
  const updateApp = gossiped ? update : (n - 1) * update;
  const updateWire = gossiped ? update * gossipCopies(n) : (n - 1) * update;
  const degree = secure ? maskDegree(n, c.graphDegree) : 0;
  const holders = degree + 1;
  const threshold = secure ? holders - Math.floor((c.dropoutFraction ?? 0.34) * holders) : 0;
  // advert, shares (one envelope per holder), reveal (a share of each sender it holds); roster and
  // unmask request come from one peer in n.
  const setup = secure
    ? ADVERT_BYTES +
      holders * (PEER_ID_BYTES + ENVELOPE_BYTES + 2 * HASH_BYTES) +
      holders * (PEER_ID_BYTES + SHARE_VALUE_BYTES + 8) +
      (n * PEER_ID_BYTES + n * (PEER_ID_BYTES + HASH_BYTES)) / n
    : 0;
  const setupMessages = secure ? 3 + 2 / n : 0;
  return {
    transfer: gossiped ? 'gossip' : 'pulled',
    messages: updateMessages + setupMessages,
    appBytes: updateApp + setup,
    wireBytes: updateWire + setup * gossipCopies(n),
    degree,
    threshold,
    expansions: secure ? holders + n : 0,
    ringAllReduceBytes: (2 * (n - 1) * c.modelBytes) / n,
  };
}

/**
 * SecAgg+'s guarantee as a number: with c colluding members among n, the chance that one honest site's
 * k graph neighbours include at least t colluders (then they hold t of its k + 1 shares and can unmask
 * it), for a neighbourhood drawn at random each round: the hypergeometric tail P[X ≥ t], X ~ H(n − 1, c, k).
 * With the complete graph (k = n − 1) the neighbours are all others, so the question is just c ≥ t.
 */
export function exposureProbability(n: number, colluders: number, degree: number, threshold: number): number {
  let p = 0;
  for (let x = threshold; x <= Math.min(degree, colluders); x++)
    p += (choose(colluders, x) * choose(n - 1 - colluders, degree - x)) / choose(n - 1, degree);
  return p;
}

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}
