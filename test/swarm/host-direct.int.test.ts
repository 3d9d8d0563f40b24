import { afterEach, describe, expect, it } from 'vitest';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { tcp } from '@libp2p/tcp';
import { createLibp2p, type Libp2p } from 'libp2p';
import { waitFor } from '../helpers/wait.js';
import {
  createSwarmHost,
  createSwarmPsk,
  generateIdentity,
  peerIdOf,
  type SwarmHost,
  type SwarmHostInit,
} from '../../src/swarm/net/index.js';
import { createDirectProtocol, type DirectProtocol } from '../../src/swarm/net/direct.js';

const SWARM = 'direct-test';
const stoppers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(stoppers.splice(0).map((stop) => stop()));
});

async function startHost(init: Omit<SwarmHostInit, 'swarmId' | 'listen'>): Promise<SwarmHost> {
  const host = await createSwarmHost({ swarmId: SWARM, listen: ['/ip4/127.0.0.1/tcp/0'], ...init });
  stoppers.push(() => host.stop());
  await host.start();
  return host;
}

async function twoMembers() {
  const keys = await Promise.all([generateIdentity(), generateIdentity()]);
  const members = keys.map(peerIdOf);
  const psk = createSwarmPsk();
  const refused: string[] = [];
  const a = await startHost({
    privateKey: keys[0],
    psk,
    members,
    onRefused: (p, d) => refused.push(`${d}:${p}`),
  });
  const b = await startHost({ privateKey: keys[1], psk, members, bootstrap: a.addrs() });
  await waitFor(() => a.connectedPeers().includes(b.peerId), {
    timeoutMs: 10_000,
    what: 'a and b connected',
  });
  return { a, b, psk, members, refused };
}

describe('direct request/response between members', () => {
  it('answers a request with the handler result, both ways, including an 8 MiB response', async () => {
    const { a, b } = await twoMembers();
    const seen: string[] = [];
    a.handle(async (req, from) => {
      seen.push(from);
      return req.byteLength === 1
        ? new Uint8Array(8 * 1024 * 1024).fill(req[0])
        : Uint8Array.from(req).reverse();
    });
    b.handle(async (req) => Uint8Array.of(req.length));

    const reversed = await b.request(a.peerId, Uint8Array.of(1, 2, 3), { timeoutMs: 5000 });
    const big = await b.request(a.peerId, Uint8Array.of(7), { timeoutMs: 10_000 });
    const length = await a.request(b.peerId, new Uint8Array(1000), { timeoutMs: 5000 });

    expect([...reversed]).toEqual([3, 2, 1]);
    expect(big.byteLength).toBe(8 * 1024 * 1024);
    expect(big.every((x) => x === 7)).toBe(true);
    expect([...length]).toEqual([1000 % 256]);
    expect(seen).toEqual([b.peerId, b.peerId]);
  });

  it('times out with DIRECT_TIMEOUT when the peer never answers', async () => {
    const { a, b } = await twoMembers();
    a.handle(() => new Promise<Uint8Array>(() => {}));
    const failure = b.request(a.peerId, Uint8Array.of(1), { timeoutMs: 500 });

    await expect(failure).rejects.toMatchObject({ code: 'DIRECT_TIMEOUT' });
    // The request's own 500 ms bound ended it (the handler never answers), as its message says.
    await expect(failure).rejects.toThrow(/did not answer .*fetch\/1\.0\.0 within 500 ms/);
  });

  it('reports a handler failure as DIRECT_REMOTE_ERROR with its message', async () => {
    const { a, b } = await twoMembers();
    a.handle(async () => {
      throw new Error('no update with that hash');
    });
    await expect(b.request(a.peerId, Uint8Array.of(1), { timeoutMs: 5000 })).rejects.toMatchObject({
      code: 'DIRECT_REMOTE_ERROR',
      message: expect.stringContaining('no update with that hash'),
    });
  });

  it('refuses a request from a non-member that holds the swarm key', async () => {
    const { a, psk, members, refused } = await twoMembers();
    const handled: string[] = [];
    a.handle(async (_req, from) => {
      handled.push(from);
      return Uint8Array.of(1);
    });
    const key = await generateIdentity();
    const outsider = await startHost({ privateKey: key, psk, members: [...members, peerIdOf(key)] });
    await Promise.allSettled([outsider.dial(a.addrs()[0])]);

    // a's gater closes every connection from the outsider, so the request never reaches the handler.
    await expect(outsider.request(a.peerId, Uint8Array.of(1), { timeoutMs: 3000 })).rejects.toMatchObject({
      code: 'DIRECT_UNREACHABLE',
    });
    expect(handled).toEqual([]);
    expect(refused).toContain(`inbound:${peerIdOf(key)}`);
  });
});

describe('direct protocol without a gater', () => {
  async function rawNode(): Promise<Libp2p> {
    const node = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
    });
    stoppers.push(async () => node.stop());
    return node;
  }

  async function withDirect(node: Libp2p, members: () => string[]): Promise<DirectProtocol> {
    const quiet = { debug: () => {}, warn: () => {} };
    const direct = createDirectProtocol(SWARM, {
      node,
      isMember: (id) => members().includes(id),
      log: quiet,
    });
    await direct.start();
    stoppers.push(() => direct.stop());
    return direct;
  }

  it('answers DIRECT_REFUSED to a connected peer that is not a member', async () => {
    const [server, client] = await Promise.all([rawNode(), rawNode()]);
    const handled: string[] = [];
    const serverDirect = await withDirect(server, () => [server.peerId.toString()]);
    serverDirect.handle(async (_req, from) => {
      handled.push(from);
      return Uint8Array.of(1);
    });
    const clientDirect = await withDirect(client, () => [server.peerId.toString()]);
    await client.dial(server.getMultiaddrs()[0]);

    await expect(
      clientDirect.request(server.peerId.toString(), Uint8Array.of(1), { timeoutMs: 3000 }),
    ).rejects.toMatchObject({
      code: 'DIRECT_REFUSED',
      message: expect.stringContaining('not a member'),
    });
    expect(handled).toEqual([]);
  });

  it('rejects an oversized request before sending it', async () => {
    const node = await rawNode();
    const direct = await withDirect(node, () => []);
    await expect(
      direct.request(node.peerId.toString(), new Uint8Array(8 * 1024 * 1024 + 1), { timeoutMs: 1000 }),
    ).rejects.toMatchObject({
      code: 'DIRECT_TOO_LARGE',
    });
  });
});
