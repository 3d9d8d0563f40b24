import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import {
  createSwarmHost,
  createSwarmPsk,
  generateIdentity,
  MAX_GOSSIP_PAYLOAD_BYTES,
  peerIdOf,
  type PrivateKey,
  type SwarmHost,
  type SwarmHostInit,
  type SwarmTopic,
} from '../../src/swarm/net/index.js';

const SWARM = 'gossip-test';
const LOOPBACK = '/ip4/127.0.0.1/tcp/0';
const running: SwarmHost[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

async function startHost(
  init: Omit<SwarmHostInit, 'swarmId' | 'listen'> & { listen?: string[] },
): Promise<SwarmHost> {
  const host = await createSwarmHost({ swarmId: SWARM, listen: [LOOPBACK], ...init });
  running.push(host);
  await host.start();
  return host;
}

type Received = { topic: SwarmTopic; from: string; bytes: Uint8Array };
function collect(host: SwarmHost): Received[] {
  const got: Received[] = [];
  for (const topic of ['control', 'updates'] as const) {
    host.onMessage(topic, (bytes, from) => got.push({ topic, from, bytes }));
  }
  return got;
}

async function threeMembers(): Promise<{ hosts: SwarmHost[]; keys: PrivateKey[] }> {
  const keys = await Promise.all([generateIdentity(), generateIdentity(), generateIdentity()]);
  const members = keys.map(peerIdOf);
  const psk = createSwarmPsk();
  const h1 = await startHost({ privateKey: keys[0], psk, members });
  const bootstrap = [h1.addrs()[0]];
  const h2 = await startHost({ privateKey: keys[1], psk, members, bootstrap });
  const h3 = await startHost({ privateKey: keys[2], psk, members, bootstrap });
  return { hosts: [h1, h2, h3], keys };
}

/** Each edge a→b: host a has host b in its gossipsub mesh for both topics (so a relays to b). */
async function meshReady(hosts: SwarmHost[], edges: Array<[number, number]>): Promise<void> {
  for (const [a, b] of edges) {
    for (const topic of ['control', 'updates'] as const) {
      await waitFor(() => hosts[a].meshPeers(topic).includes(hosts[b].peerId), {
        timeoutMs: 10_000,
        what: `host ${b + 1} in host ${a + 1}'s ${topic} mesh`,
      });
    }
  }
}

describe('swarm host gossip', () => {
  it('delivers gossip on both topics from every member to every other member', async () => {
    const { hosts } = await threeMembers();
    const [h1, h2] = hosts;
    await waitFor(() => h1.connectedPeers().length === 2, { timeoutMs: 10_000, what: 'both bootstraps' });
    expect(h2.connectedPeers()).toEqual([h1.peerId]);
    await meshReady(hosts, [
      [0, 1],
      [0, 2],
      [1, 0],
      [2, 0],
    ]);
    const inbox = hosts.map(collect);

    for (const [i, host] of hosts.entries()) {
      await host.publish('control', new TextEncoder().encode(`hello from ${i + 1}`));
      await host.publish('updates', Uint8Array.of(i + 1, 42));
    }

    for (const [i, got] of inbox.entries()) {
      await waitFor(() => got.length === 4, { timeoutMs: 15_000, what: `4 messages at host ${i + 1}` });
      const others = hosts.filter((_, j) => j !== i);
      for (const other of others) {
        const n = hosts.indexOf(other) + 1;
        const control = got.find((m) => m.topic === 'control' && m.from === other.peerId);
        const updates = got.find((m) => m.topic === 'updates' && m.from === other.peerId);
        expect(new TextDecoder().decode(control?.bytes)).toBe(`hello from ${n}`);
        expect([...(updates?.bytes ?? [])]).toEqual([n, 42]);
      }
      expect(got.some((m) => m.from === hosts[i].peerId)).toBe(false);
    }
  });

  it('passes 3 MiB and limit-sized (4 MiB) updates through a relaying member', async () => {
    const { hosts } = await threeMembers();
    await meshReady(hosts, [
      [0, 1],
      [0, 2],
      [1, 0],
      [2, 0],
    ]);
    const got = collect(hosts[2]);
    const pattern = (bytes: number, seed: number) =>
      new Uint8Array(bytes).map((_, i) => (i * 31 + seed) % 251);
    const sent = [pattern(3 * 1024 * 1024, 1), pattern(MAX_GOSSIP_PAYLOAD_BYTES, 2)];

    for (const bytes of sent) await hosts[1].publish('updates', bytes);

    await waitFor(() => got.length === 2, { timeoutMs: 20_000, what: 'both large messages at host 3' });
    got.sort((x, y) => x.bytes.byteLength - y.bytes.byteLength);
    for (const [i, bytes] of sent.entries()) {
      expect(got[i].from).toBe(hosts[1].peerId);
      expect(got[i].bytes.byteLength).toBe(bytes.byteLength);
      expect(Buffer.from(got[i].bytes).equals(Buffer.from(bytes))).toBe(true);
    }
  });

  it('refuses to publish a message above the gossip limit', async () => {
    const key = await generateIdentity();
    const host = await startHost({ privateKey: key, psk: createSwarmPsk(), members: [peerIdOf(key)] });
    await expect(host.publish('updates', new Uint8Array(4 * 1024 * 1024 + 1))).rejects.toMatchObject({
      code: 'GOSSIP_TOO_LARGE',
    });
  });

  it('re-dials a bootstrap peer that restarts on the same address', async () => {
    const keys = await Promise.all([generateIdentity(), generateIdentity()]);
    const members = keys.map(peerIdOf);
    const psk = createSwarmPsk();
    const h1 = await startHost({ privateKey: keys[0], psk, members });
    const addr = h1.addrs()[0];
    const events: string[] = [];
    const h2 = await startHost({
      privateKey: keys[1],
      psk,
      members,
      bootstrap: [addr],
      redialMinMs: 100,
      redialMaxMs: 400,
      onPeer: (peer, event) => events.push(`${event}:${peer === members[0] ? 'h1' : peer}`),
    });
    await waitFor(() => h2.connectedPeers().includes(members[0]), {
      timeoutMs: 10_000,
      what: 'first connection',
    });

    await h1.stop();
    await waitFor(() => h2.connectedPeers().length === 0, {
      timeoutMs: 10_000,
      what: 'h2 to notice h1 left',
    });
    const listen = [addr.replace(/\/p2p\/.*$/, '')];
    const h1again = await startHost({ privateKey: keys[0], psk, members, listen });

    await waitFor(() => h2.connectedPeers().includes(members[0]), {
      timeoutMs: 10_000,
      what: 'reconnection',
    });
    await waitFor(() => h1again.connectedPeers().includes(members[1]), {
      timeoutMs: 10_000,
      what: 'inbound side',
    });
    expect(events).toEqual(['connect:h1', 'disconnect:h1', 'connect:h1']);
  });

  it('stop closes every socket and timer it opened', async () => {
    const count = (kind: string): number => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    const kinds = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout'];
    const atMost = (limits: number[]): boolean => kinds.every((kind, i) => count(kind) <= limits[i]);
    // Node drops closed handles from its list an event-loop turn or two after close, so handles of
    // earlier tests may linger briefly: wait for them before taking the baseline.
    await waitFor(() => count('TCPServerWrap') + count('TCPSocketWrap') === 0, {
      timeoutMs: 5000,
      what: 'old sockets',
    });
    const baseline = kinds.map(count);
    const { hosts } = await threeMembers();
    hosts[1].handle(async (req) => req);
    await waitFor(() => hosts[0].connectedPeers().length === 2, { timeoutMs: 10_000, what: 'connections' });
    await hosts[0].request(hosts[1].peerId, Uint8Array.of(1), { timeoutMs: 5000 });
    expect(count('TCPServerWrap')).toBe(3);

    await Promise.all(running.splice(0).map((h) => h.stop()));

    // libp2p also clears a few sub-second internal timers on its own shortly after stop.
    await waitFor(() => atMost(baseline), {
      timeoutMs: 5000,
      what: `${kinds.join('/')} back to ${baseline.join('/')}`,
    });
  });

  it('reports a busy listen address as HOST_START_FAILED', async () => {
    const [k1, k2] = await Promise.all([generateIdentity(), generateIdentity()]);
    const psk = createSwarmPsk();
    const first = await startHost({ privateKey: k1, psk, members: [peerIdOf(k1)] });
    const busy = first.addrs()[0].replace(/\/p2p\/.*$/, '');
    const second = await createSwarmHost({
      swarmId: SWARM,
      privateKey: k2,
      psk,
      members: [],
      listen: [busy],
    });
    running.push(second);

    await expect(second.start()).rejects.toMatchObject({
      code: 'HOST_START_FAILED',
      message: expect.stringContaining(busy),
    });
    expect(second.addrs()).toEqual([]);
  });

  it('starts and stops idempotently', async () => {
    const key = await generateIdentity();
    const host = await createSwarmHost({
      privateKey: key,
      psk: createSwarmPsk(),
      swarmId: SWARM,
      listen: [LOOPBACK],
      members: [peerIdOf(key)],
      bootstrap: ['/ip4/127.0.0.1/tcp/1'],
    });
    running.push(host);
    expect(host.addrs()).toEqual([]);
    await Promise.all([host.start(), host.start()]);
    expect(host.addrs()).toHaveLength(1);
    await host.stop();
    await host.stop();
    expect(host.addrs()).toEqual([]);
    await expect(host.publish('control', Uint8Array.of(1))).rejects.toMatchObject({
      code: 'HOST_NOT_STARTED',
    });
  });
});
