import { describe, expect, it } from 'vitest';
import {
  VoteTally,
  canonicalCommitBytes,
  certify,
  commitHash,
  createCommit,
  defaultCertQuorum,
  genesisDifference,
  verifyCertificate,
  verifyEvidence,
  verifyLog,
  voteBytes,
  type RoundCommit,
  type SignedCommit,
  type Vote,
} from '../../src/swarm/protocol/index.js';
import { generateIdentity, peerIdOf, signWith, verifyFromPeerId } from '../../src/swarm/net/index.js';
import { runPython } from '../helpers/python.js';

const h = (c: string) => c.repeat(64);
const SWARM = 'swarm-1';

async function members(n: number) {
  const keys = await Promise.all(Array.from({ length: n }, () => generateIdentity()));
  return keys
    .map((k) => ({ peerId: peerIdOf(k), sign: signWith(k) }))
    .sort((a, b) => (a.peerId < b.peerId ? -1 : 1));
}

function commitBy(aggregator: string, mergedHash = h('f')): RoundCommit {
  return createCommit({
    ...{ swarmId: SWARM, round: 4, prevHash: h('1'), method: 'fedavg', kind: 'model' },
    contributors: [{ peerId: aggregator, updateHash: h('a'), samples: 10 }],
    ...{ mergedHash, aggregator, createdAt: 1_700_000_000_000 },
  });
}

async function votesFor(
  c: RoundCommit,
  voters: { peerId: string; sign: (b: Uint8Array) => Promise<Uint8Array> }[],
) {
  const bytes = voteBytes(SWARM, c.round, commitHash(c));
  return Promise.all(
    voters.map(async (m): Promise<Vote> => ({ peerId: m.peerId, signature: await m.sign(bytes) })),
  );
}

describe('commit certificates', () => {
  it('defaults the quorum to a strict majority, so any two quorums share a member', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 20].map(defaultCertQuorum)).toEqual([1, 2, 2, 3, 3, 4, 4, 11]);
    for (let n = 1; n <= 100; n++) expect(2 * defaultCertQuorum(n) - n).toBeGreaterThanOrEqual(1);
  });

  it('signs the vote bytes Python computes for the same fields', () => {
    const script = `
import json, sys
v = json.load(sys.stdin)
print(json.dumps(json.dumps(["swarmd-vote-v1", v["swarm"], v["round"], v["hash"]], separators=(",", ":"))))`;
    const py = runPython<string>(script, { swarm: SWARM, round: 4, hash: h('c') });
    expect(new TextDecoder().decode(voteBytes(SWARM, 4, h('c')))).toBe(py);
  });

  it('accepts votes of a quorum of distinct members and refuses every way short of it', async () => {
    const m = await members(5);
    const set = new Set(m.map((x) => x.peerId));
    const c = commitBy(m[0].peerId);
    const signed: SignedCommit = { commit: c, signature: new Uint8Array(64) };
    const ctx = { swarmId: SWARM, members: set, quorum: 3, verify: verifyFromPeerId };
    const votes = await votesFor(c, m.slice(0, 3));
    expect(await verifyCertificate(certify(signed, votes.reverse()), ctx)).toEqual({ ok: true });
    expect(await verifyCertificate(signed, ctx)).toMatchObject({ ok: false, reason: 'uncertified' });
    const two = certify(signed, votes.slice(0, 2));
    expect(await verifyCertificate(two, ctx)).toMatchObject({ ok: false, reason: 'below-quorum' });
    // One member counted three times is one vote.
    const repeated = { ...signed, certificate: { votes: [votes[0], votes[0], votes[0]] } };
    expect(await verifyCertificate(repeated, ctx)).toMatchObject({ ok: false, reason: 'unsorted-votes' });
    const outsider = await members(1);
    const withOutsider = certify(signed, [...votes.slice(0, 2), ...(await votesFor(c, outsider))]);
    expect(await verifyCertificate(withOutsider, ctx)).toMatchObject({
      ok: false,
      reason: 'non-member-vote',
    });
    // A vote for another commit (another merged model) does not certify this one.
    const other = await votesFor(commitBy(m[0].peerId, h('e')), m.slice(2, 3));
    const mixed = certify(signed, [...(await votesFor(c, m.slice(0, 2))), ...other]);
    const r = await verifyCertificate(mixed, ctx);
    expect(r).toEqual({
      ok: false,
      reason: 'bad-vote-signature',
      detail: `the vote of ${m[2].peerId} does not verify`,
    });
    const flipped = (await votesFor(c, m.slice(0, 3))).map((v, i) =>
      i === 1 ? { ...v, signature: v.signature.map((b, j) => (j === 0 ? b ^ 1 : b)) } : v,
    );
    expect(await verifyCertificate(certify(signed, flipped), ctx)).toMatchObject({
      reason: 'bad-vote-signature',
    });
  });

  it('turns two votes of one member in one round into evidence that every peer can check', async () => {
    const m = await members(3);
    const [a, b] = [commitBy(m[0].peerId), commitBy(m[1].peerId)];
    const [va] = await votesFor(a, [m[2]]);
    const [vb] = await votesFor(b, [m[2]]);
    const tally = new VoteTally();
    const body = (c: RoundCommit, v: Vote) => ({ commitHash: commitHash(c), signature: v.signature });
    expect(tally.add(4, m[2].peerId, body(a, va))).toEqual({ kind: 'counted' });
    expect(tally.add(4, m[2].peerId, body(a, va))).toEqual({ kind: 'repeat' });
    const r = tally.add(4, m[2].peerId, body(b, vb));
    if (r.kind !== 'equivocation') throw new Error('expected evidence');
    const ctx = { swarmId: SWARM, members: new Set(m.map((x) => x.peerId)), verify: verifyFromPeerId };
    expect(await verifyEvidence(r.evidence, 4, ctx)).toBe(true);
    // The same votes do not convict another member, nor in another round; a made-up vote convicts nobody.
    expect(await verifyEvidence({ ...r.evidence, peerId: m[1].peerId }, 4, ctx)).toBe(false);
    expect(await verifyEvidence(r.evidence, 5, ctx)).toBe(false);
    const forged = {
      ...r.evidence,
      votes: [r.evidence.votes[0], { ...r.evidence.votes[1], signature: new Uint8Array(64) }],
    } as const;
    expect(
      await verifyEvidence({ peerId: forged.peerId, votes: [forged.votes[0], forged.votes[1]] }, 4, ctx),
    ).toBe(false);
    // Only the first vote counts: the second commit gets nothing from the member that voted twice.
    expect(tally.certificate(4, commitHash(a), 1)?.votes.map((v) => v.peerId)).toEqual([m[2].peerId]);
    expect(tally.certificate(4, commitHash(b), 1)).toBeNull();
    expect(tally.certificate(4, commitHash(a), 1, (p) => p === m[2].peerId)).toBeNull();
  });

  it('refuses a 45-round chain signed by one member unless every entry carries a quorum of valid votes', async () => {
    const m = await members(5);
    const set = new Set(m.map((x) => x.peerId));
    const forger = m[4];
    const chainWith = async (voters: (c: RoundCommit) => Promise<Vote[]> | Vote[]) => {
      const out: SignedCommit[] = [];
      let prevHash: string | null = h('1');
      for (let round = 5; round < 50; round++) {
        const commit = createCommit({
          ...{ swarmId: SWARM, round, prevHash, method: 'fedavg', kind: 'model' },
          contributors: m.map((x, i) => ({ peerId: x.peerId, updateHash: h(String(i)), samples: 10 })),
          ...{ mergedHash: h('e'), aggregator: forger.peerId, createdAt: 1 },
        });
        const signed = { commit, signature: await forger.sign(canonicalCommitBytes(commit)) };
        const votes = await voters(commit);
        out.push(votes.length > 0 ? certify(signed, votes) : signed);
        prevHash = commitHash(commit);
      }
      return out;
    };
    const ctx = { swarmId: SWARM, members: set, minPeers: 3, fromRound: 5, merge: 'fedavg' as const };
    const verify = (chain: SignedCommit[]) =>
      verifyLog(chain, { ...ctx, prevHash: h('1'), verify: verifyFromPeerId, quorum: 3 });
    expect(await verify(await chainWith(() => []))).toMatchObject({
      ok: false,
      reason: 'uncertified',
      round: 5,
    });
    expect(await verify(await chainWith((c) => votesFor(c, [forger])))).toMatchObject({
      ok: false,
      reason: 'below-quorum',
      round: 5,
    });
    // Its own vote beside two made-up ones of honest members: the made-up ones do not verify.
    const madeUp = async (c: RoundCommit) => [
      ...(await votesFor(c, [forger])),
      ...m.slice(0, 2).map((x) => ({ peerId: x.peerId, signature: new Uint8Array(64).fill(7) })),
    ];
    expect(await verify(await chainWith(madeUp))).toMatchObject({
      ok: false,
      reason: 'bad-vote-signature',
      round: 5,
    });
    // The same chain certified by a real quorum passes (what honest members would have signed).
    expect(await verify(await chainWith((c) => votesFor(c, m.slice(0, 3))))).toEqual({ ok: true });
  });

  it('names the swarm-config fields a chain was started under that differ from this peer', () => {
    const ours = { configHash: h('0'), fields: { members: h('1'), certQuorum: h('2'), model: h('3') } };
    const theirs = { configHash: h('9'), fields: { members: h('1'), certQuorum: h('7'), model: h('8') } };
    expect(genesisDifference(ours, ours, 0)).toBeNull();
    expect(genesisDifference(theirs, ours, 0)).toBe(
      "the chain was started under another swarm config: certQuorum, model differ from this peer's",
    );
    expect(genesisDifference(undefined, ours, 0)).toMatch(/binds no swarm config/);
    expect(genesisDifference(ours, ours, 3)).toBe('round 3 carries a genesis (only round 0 may)');
    expect(genesisDifference(undefined, ours, 3)).toBeNull();
  });
});
