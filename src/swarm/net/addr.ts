import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';

/**
 * What is wrong with a listen or bootstrap address, in words (null: nothing): not a multiaddr, or a /p2p/
 * part that is not a libp2p peer id (accepted before, it could never be dialled).
 */
const P2P = 421;

export function addrProblem(addr: string): string | null {
  let ma: Multiaddr;
  try {
    ma = multiaddr(addr);
  } catch {
    return `${JSON.stringify(addr)} is not a multiaddr (expected e.g. /ip4/10.0.0.2/tcp/4001/p2p/<peerId>)`;
  }
  // getPeerId() answers null for an id it cannot read: the /p2p/ part itself (code 421) is checked.
  const id = ma.stringTuples().find(([code]) => code === P2P)?.[1];
  try {
    if (id !== undefined) peerIdFromString(id);
  } catch {
    return `${JSON.stringify(addr)} ends in a /p2p/ part that is not a libp2p peer id (12D3Koo…, printed by swarmd init)`;
  }
  return null;
}
