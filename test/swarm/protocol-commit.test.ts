import { generateKeyPair } from '@libp2p/crypto/keys';
import { describe, expect, it } from 'vitest';
import {
  canonicalCommitBytes,
  checkCommit,
  commitHash,
  createCommit,
  signCommit,
  verifyCommitSignature,
  type CommitContext,
  type RoundCommit,
  type SignedCommit,
} from '../../src/swarm/protocol/index.js';
import { runPython } from '../helpers/python.js';

const h = (c: string) => c.repeat(64);
const base: RoundCommit = createCommit({
  swarmId: 'swarm-1',
  round: 4,
  prevHash: h('1'),
  contributors: [
    { peerId: 'peer-c', updateHash: h('c'), samples: 30 },
    { peerId: 'peer-a', updateHash: h('a'), samples: 10 },
    { peerId: 'peer-b', updateHash: h('b'), samples: 20 },
  ],
  method: 'fedavg',
  kind: 'model',
  mergedHash: h('f'),
  aggregator: 'peer-b',
  createdAt: 1_700_000_000_123,
});

/** Public keys by peer ID (base58 identity multihash), as a host resolves a commit's aggregator. */
const publicKeys = new Map<
  string,
  { verify(data: Uint8Array, sig: Uint8Array): boolean | Promise<boolean> }
>();

async function newAggregator(): Promise<{
  peerId: string;
  sign: (bytes: Uint8Array) => Promise<Uint8Array>;
}> {
  const key = await generateKeyPair('Ed25519');
  const peerId = key.publicKey.toString();
  publicKeys.set(peerId, key.publicKey);
  return { peerId, sign: async (bytes) => key.sign(bytes) };
}

async function verifyWithPeerId(peerId: string, bytes: Uint8Array, signature: Uint8Array): Promise<boolean> {
  const key = publicKeys.get(peerId);
  return key === undefined ? false : key.verify(bytes, signature);
}

describe('round commits', () => {
  it('sorts contributors by peer ID', () => {
    expect(base.contributors.map((c) => c.peerId)).toEqual(['peer-a', 'peer-b', 'peer-c']);
  });

  it('hashes what it merges and signs it with the aggregator and time, as Python computes them', () => {
    const script = `
import json, sys, hashlib
c = json.load(sys.stdin)
merge = [c["swarmId"], c["round"], c["prevHash"],
         [[x["peerId"], x["updateHash"], x["samples"]] for x in c["contributors"]],
         c["method"], c["kind"], c["mergedHash"], [], None]
dump = lambda a: json.dumps(a, separators=(",", ":"))
print(json.dumps([hashlib.sha256(dump(["swarmd-merge-v2"] + merge).encode()).hexdigest(),
                  dump(["swarmd-commit-v2"] + merge + [c["aggregator"], c["createdAt"]])]))`;
    const [hash, signed] = runPython<[string, string]>(script, base);
    expect(commitHash(base)).toBe(hash);
    expect(new TextDecoder().decode(canonicalCommitBytes(base))).toBe(signed);
  });

  it('hashes a commit from before certificates (no proto) the old way: aggregator and time included', () => {
    const script = `
import json, sys, hashlib
c = json.load(sys.stdin)
arr = ["swarmd-commit-v1", c["swarmId"], c["round"], c["prevHash"],
       [[x["peerId"], x["updateHash"], x["samples"]] for x in c["contributors"]],
       c["method"], c["kind"], c["mergedHash"], c["aggregator"], c["createdAt"]]
print(json.dumps(hashlib.sha256(json.dumps(arr, separators=(",", ":")).encode()).hexdigest()))`;
    const legacy: RoundCommit = { ...base };
    delete legacy.proto;
    expect(commitHash(legacy)).toBe(runPython<string>(script, legacy));
  });

  it('hashes the same whatever the key order of the object', () => {
    const reordered = JSON.parse(
      JSON.stringify(Object.fromEntries(Object.entries(base).reverse())),
    ) as RoundCommit;
    expect(commitHash(reordered)).toBe(commitHash(base));
    // Two aggregators' commits of the same merge are one commit; another merge or chain is another.
    expect(commitHash({ ...base, createdAt: base.createdAt + 1, aggregator: 'peer-c' })).toBe(
      commitHash(base),
    );
    expect(commitHash({ ...base, prevHash: null })).not.toBe(commitHash(base));
    expect(commitHash({ ...base, mergedHash: h('e') })).not.toBe(commitHash(base));
  });

  it('verifies an Ed25519 signature of the aggregator and rejects a tampered commit', async () => {
    const { peerId: aggregator, sign } = await newAggregator();
    expect(aggregator).toMatch(/^12D3KooW/); // an Ed25519 peer ID
    const commit = { ...base, aggregator };
    const signed = await signCommit(commit, sign);
    expect(await verifyCommitSignature(signed, verifyWithPeerId)).toBe(true);

    const moreSamples = {
      ...commit,
      contributors: commit.contributors.map((c) => ({ ...c, samples: c.samples + 1 })),
    };
    expect(await verifyCommitSignature({ ...signed, commit: moreSamples }, verifyWithPeerId)).toBe(false);

    const other = await newAggregator();
    const claimed = { ...signed, commit: { ...commit, aggregator: other.peerId } };
    expect(await verifyCommitSignature(claimed, verifyWithPeerId)).toBe(false);

    const flipped = new Uint8Array(signed.signature);
    flipped[0] ^= 1;
    expect(await verifyCommitSignature({ ...signed, signature: flipped }, verifyWithPeerId)).toBe(false);
  });

  it('signs exactly the canonical bytes', async () => {
    let seen: Uint8Array | undefined;
    await signCommit(base, async (bytes) => {
      seen = bytes;
      return new Uint8Array(64);
    });
    expect(seen).toEqual(canonicalCommitBytes(base));
  });

  describe('checkCommit', () => {
    const signed: SignedCommit = { commit: base, signature: new Uint8Array(64) };
    const ctx: CommitContext = {
      expectedPrevHash: h('1'),
      members: new Set(['peer-a', 'peer-b', 'peer-c']),
      minPeers: 2,
      recomputedMergedHash: h('f'),
      swarmId: 'swarm-1',
      round: 4,
      method: 'fedavg',
    };
    const reason = (commit: RoundCommit, over: Partial<CommitContext> = {}) => {
      const res = checkCommit({ ...signed, commit }, { ...ctx, ...over });
      return res.ok ? 'ok' : res.reason;
    };

    it('accepts a commit that passes every check', () => {
      expect(reason(base)).toBe('ok');
      expect(reason({ ...base, prevHash: null }, { expectedPrevHash: null })).toBe('ok');
    });

    it('rejects a commit whose merged hash differs', () => {
      expect(reason(base, { recomputedMergedHash: h('e') })).toBe('merged-hash-mismatch');
    });

    it('rejects a commit off the chain', () => {
      expect(reason(base, { expectedPrevHash: h('2') })).toBe('bad-chain');
      expect(reason(base, { expectedPrevHash: null })).toBe('bad-chain');
    });

    it('rejects a commit below quorum', () => {
      expect(reason(base, { minPeers: 4 })).toBe('below-quorum');
    });

    it('rejects non-member contributors and aggregators', () => {
      expect(reason(base, { members: new Set(['peer-a', 'peer-b']) })).toBe('non-member-contributor');
      expect(reason({ ...base, aggregator: 'peer-z' })).toBe('non-member-aggregator');
    });

    it('rejects unsorted or repeated contributors', () => {
      const [a, b, c] = base.contributors;
      expect(reason({ ...base, contributors: [b, a, c] })).toBe('unsorted-contributors');
      expect(reason({ ...base, contributors: [a, a, c] })).toBe('duplicate-contributor');
    });

    it('rejects another swarm, round or method', () => {
      expect(reason({ ...base, swarmId: 'swarm-2' })).toBe('wrong-swarm');
      expect(reason({ ...base, round: 5 })).toBe('wrong-round');
      expect(reason({ ...base, method: 'sum' })).toBe('wrong-method');
    });
  });
});
