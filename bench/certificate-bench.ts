// Commit certificates, side by side in one run: 3, 5 and 8 real swarm peers (libp2p on 127.0.0.1, one process)
// with a 1 MB model (the TCGA model: 3,557 features into the proteomics MLP ≈ 0.25 M float32), once with the
// default quorum (a strict majority must vote before a commit is applied) and once with certQuorum 1 (each peer
// applies on its own vote: the round as it ran before certificates, votes still sent). Per swarm: round wall
// time, control-topic bytes sent per peer per round, and the size of a stored certificate.
//   npx tsc -p tsconfig.json && node dist/bench/certificate-bench.js [--peers 3,5,8] [--rounds 3]
import '../src/core/polyfill.js';
import { pathToFileURL } from 'node:url';
import {
  WIRE_VERSION,
  defaultCertQuorum,
  deriveTopicKey,
  encodeMessage,
  generateIdentity,
  peerIdOf,
  seal,
  topicName,
} from '../src/swarm/index.js';
import { median, plan, runSize, type SizeResult } from './swarm-bench.js';

const SIZE_MB = 1;
/** A stored certificate: per vote a peer id (52 base58 characters) and an Ed25519 signature (64 bytes), msgpack. */
const VOTE_RECORD_BYTES = 52 + 64 + 16;

interface Row {
  peers: number;
  quorum: number;
  r: SizeResult;
  /** Vote messages a peer sent per round (its vote, and re-sends while it waited), statistics round included. */
  votesPerPeerRound: number;
}

/** The bytes of one vote as gossiped: the wire envelope, sealed under the topic key (what the channel counts). */
async function voteMessageBytes(): Promise<number> {
  const from = peerIdOf(await generateIdentity());
  const body = { commitHash: 'a'.repeat(64), signature: new Uint8Array(64) };
  const bytes = encodeMessage({ v: WIRE_VERSION, type: 'vote', swarmId: 'bench', from, round: 3, body });
  return seal(deriveTopicKey(new Uint8Array(32), 'bench'), topicName('bench', 'control'), bytes).length;
}

function summary(r: SizeResult) {
  const wall = median(r.rounds.map((x) => x.wallMs)) / 1000;
  const control = median(
    r.rounds.map((x) => x.sentBy.control.reduce((a, b) => a + b, 0) / x.sentBy.control.length),
  );
  return { wall, control };
}

export async function runCertificateBench(o: { peers?: number[]; rounds?: number } = {}): Promise<void> {
  const peersList = o.peers ?? [3, 5, 8];
  const p = plan(SIZE_MB, o.rounds ?? 3);
  console.log(
    `\n## Commit certificates: round cost with the default quorum vs certQuorum 1, ${SIZE_MB} MB model, ${p.rounds} rounds, one process (2 cores)`,
  );
  const voteBytes = await voteMessageBytes();
  const rows: Row[] = [];
  for (const peers of peersList) {
    for (const quorum of [1, defaultCertQuorum(peers)]) {
      let votes = 0;
      const onDebug = (_: object, msg?: string) => void (msg === 'sent a vote' && votes++);
      const r = await runSize(peers, p, false, onDebug, { certQuorum: quorum });
      rows.push({
        peers,
        quorum,
        r: { ...r, mergeMs: NaN },
        votesPerPeerRound: votes / peers / (p.rounds + 1),
      });
    }
  }
  console.log(
    '\n  peers | quorum | round wall | control B sent/peer/round | Δ wall vs q=1 | Δ control vs q=1 | votes sent/peer/round | vote B/peer/round | cert B/round',
  );
  for (const peers of peersList) {
    const [base, cert] = rows.filter((x) => x.peers === peers).map((x) => ({ ...x, s: summary(x.r) }));
    for (const row of [base, cert]) {
      const dWall = ((row.s.wall / base.s.wall - 1) * 100).toFixed(1);
      const dControl = (row.s.control - base.s.control).toFixed(0);
      const cells = [
        String(peers).padStart(5),
        String(row.quorum).padStart(6),
        `${row.s.wall.toFixed(2)} s`.padStart(10),
        row.s.control.toFixed(0).padStart(24),
        `${dWall} %`.padStart(13),
        `${dControl} B`.padStart(16),
        row.votesPerPeerRound.toFixed(2).padStart(21),
        (row.votesPerPeerRound * voteBytes).toFixed(0).padStart(17),
        String(row.quorum * VOTE_RECORD_BYTES).padStart(12),
      ];
      console.log(`  ${cells.join(' | ')}`);
    }
    for (const row of [base, cert])
      if (row.r.notes.length > 1) console.log(`    q=${row.quorum}: ${row.r.notes.join('; ')}`);
  }
  console.log(
    '  round wall: all peers applied round r−1 → all applied r, median over rounds. control B: app bytes a peer',
  );
  console.log(
    '  sent on the control topic per round (hellos, heartbeats, commits, votes), mean over peers. With q=1',
  );
  console.log(
    '  votes are still sent (the cost of sending them shows in neither Δ); cert B: the certificate a log',
  );
  console.log(
    `  entry stores (quorum × (peer id + signature)); vote B = votes sent × ${voteBytes} B (one sealed vote).`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i < 0 ? undefined : process.argv[i + 1];
  };
  await runCertificateBench({
    peers: arg('--peers')?.split(',').map(Number),
    rounds: arg('--rounds') === undefined ? undefined : Number(arg('--rounds')),
  });
}
