import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import {
  createSwarmHost,
  createSwarmPsk,
  generateIdentity,
  peerIdOf,
  type SwarmHost,
  type SwarmHostInit,
} from '../../src/swarm/net/index.js';

const SWARM = 'access-test';
const running: SwarmHost[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

async function startHost(init: Omit<SwarmHostInit, 'swarmId' | 'listen'>): Promise<SwarmHost> {
  const host = await createSwarmHost({ swarmId: SWARM, listen: ['/ip4/127.0.0.1/tcp/0'], ...init });
  running.push(host);
  await host.start();
  return host;
}

function inbox(host: SwarmHost): string[] {
  const got: string[] = [];
  host.onMessage('control', (_bytes, from) => got.push(`control:${from}`));
  host.onMessage('updates', (_bytes, from) => got.push(`updates:${from}`));
  return got;
}

/** Two members, connected and meshed, with a message inbox each. */
async function twoMembers(extraMembers: string[] = []) {
  const keys = await Promise.all([generateIdentity(), generateIdentity()]);
  const members = [...keys.map(peerIdOf), ...extraMembers];
  const psk = createSwarmPsk();
  const refused: string[] = [];
  const onRefused = (peer: string, direction: string) => refused.push(`${direction}:${peer}`);
  const a = await startHost({ privateKey: keys[0], psk, members, onRefused });
  const b = await startHost({ privateKey: keys[1], psk, members, bootstrap: a.addrs() });
  await waitFor(
    () => a.meshPeers('control').includes(b.peerId) && a.meshPeers('updates').includes(b.peerId),
    {
      timeoutMs: 10_000,
      what: 'a and b meshed',
    },
  );
  return { a, b, psk, members, refused, inboxA: inbox(a), inboxB: inbox(b) };
}

describe('swarm host access control', () => {
  it('a peer with a different swarm key cannot connect and receives nothing', async () => {
    // Everyone lists the outsider as a member, so only the swarm key stands in its way.
    const key = await generateIdentity();
    const { a, b, members, refused, inboxA, inboxB } = await twoMembers([peerIdOf(key)]);
    const outsider = await startHost({ privateKey: key, psk: createSwarmPsk(), members });
    const heard = inbox(outsider);

    // A wrong key garbles the noise handshake, which then stalls: the dial ends at its timeout.
    await expect(outsider.dial(a.addrs()[0], { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'DIAL_FAILED',
    });
    await expect(a.dial(outsider.addrs()[0], { timeoutMs: 2000 })).rejects.toMatchObject({
      code: 'DIAL_FAILED',
    });
    await a.publish('control', Uint8Array.of(1));
    await waitFor(() => inboxB.length === 1, {
      timeoutMs: 10_000,
      what: 'the member copy (proves the publish went out)',
    });

    expect(a.connectedPeers()).toEqual([b.peerId]);
    expect(outsider.connectedPeers()).toEqual([]);
    expect(heard).toEqual([]);
    expect(inboxA).toEqual([]);
    expect(refused).toEqual([]); // the PSK stops it before any peer id is known
  });

  it('the gater refuses a non-member holding the right swarm key, in both directions', async () => {
    const { a, b, psk, members, refused, inboxA, inboxB } = await twoMembers();
    const key = await generateIdentity();
    const stranger = peerIdOf(key);
    // The stranger believes it is a member, so only the members' gaters stand in its way.
    const outsider = await startHost({
      privateKey: key,
      psk,
      members: [...members, stranger],
      bootstrap: a.addrs(),
    });
    const heard = inbox(outsider);

    // The dialler may finish its noise handshake before the listener's gater closes the connection,
    // so the dial itself can succeed; what matters is that no connection survives.
    await Promise.allSettled([outsider.dial(b.addrs()[0])]);
    await waitFor(() => refused.includes(`inbound:${stranger}`), {
      timeoutMs: 10_000,
      what: 'a refusing the stranger',
    });
    await expect(a.dial(outsider.addrs()[0])).rejects.toThrow(/gater/);
    expect(refused).toContain(`outbound:${stranger}`);

    await outsider.publish('control', Uint8Array.of(9));
    await outsider.publish('updates', Uint8Array.of(9));
    await a.publish('updates', Uint8Array.of(2));
    await waitFor(() => inboxB.length === 1, { timeoutMs: 10_000, what: 'the member message' });
    expect(inboxB).toEqual([`updates:${a.peerId}`]);
    expect(inboxA).toEqual([]);
    expect(heard).toEqual([]);
    await waitFor(() => outsider.connectedPeers().length === 0, {
      timeoutMs: 10_000,
      what: 'no connection to survive',
    });
    expect(a.connectedPeers()).toEqual([b.peerId]);
    expect(b.connectedPeers()).toEqual([a.peerId]);
  });

  it('hangs up on a peer removed from the member set and refuses it from then on', async () => {
    const { a, b, refused } = await twoMembers();
    const left: string[] = [];
    a.onMessage('control', (_bytes, from) => left.push(from));

    a.setMembers([a.peerId]);

    await waitFor(() => a.connectedPeers().length === 0, { timeoutMs: 10_000, what: 'a to hang up on b' });
    await Promise.allSettled([b.dial(a.addrs()[0])]);
    await waitFor(() => refused.includes(`inbound:${b.peerId}`), { timeoutMs: 10_000, what: 'a refusing b' });
    await waitFor(() => b.connectedPeers().length === 0, {
      timeoutMs: 10_000,
      what: 'no connection to survive',
    });
    await b.publish('control', Uint8Array.of(3));
    expect(a.connectedPeers()).toEqual([]);
    expect(left).toEqual([]);
  });

  it('rejects a malformed config with a typed error', async () => {
    const key = await generateIdentity();
    const base = { privateKey: key, psk: createSwarmPsk(), listen: [], members: [peerIdOf(key)] };
    await expect(createSwarmHost({ ...base, swarmId: 'a/b' })).rejects.toMatchObject({
      code: 'SWARM_ID_INVALID',
    });
    await expect(createSwarmHost({ ...base, swarmId: 's', members: ['nope'] })).rejects.toMatchObject({
      code: 'PEER_ID_INVALID',
    });
    await expect(createSwarmHost({ ...base, swarmId: 's', bootstrap: ['tcp:1'] })).rejects.toMatchObject({
      code: 'MULTIADDR_INVALID',
    });
    await expect(createSwarmHost({ ...base, swarmId: 's', psk: Uint8Array.of(1) })).rejects.toMatchObject({
      code: 'PSK_BAD_HEADER',
    });
  });
});
