/**
 * Membership enforcement at the connection level: only peers on the swarm's allowlist may be dialled or
 * complete an encrypted connection. The set can be replaced at run time (membership changes).
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface';

export type RefusalDirection = 'inbound' | 'outbound';

export interface MemberGaterInit {
  members: Iterable<string>;
  /** Called once per refused dial or connection, e.g. to count refusals in a metric. */
  onRefused?: (peerId: string, direction: RefusalDirection) => void;
}

export interface MemberGater {
  /** The libp2p gater; a plain object of closures, because libp2p spreads it into its defaults. */
  readonly gater: ConnectionGater;
  isMember(peerId: string): boolean;
  setMembers(peerIds: Iterable<string>): void;
  members(): string[];
}

export function createMemberGater(init: MemberGaterInit): MemberGater {
  let members = new Set(init.members);
  const refuse = (peerId: PeerId, direction: RefusalDirection): boolean => {
    const id = peerId.toString();
    if (members.has(id)) return false;
    init.onRefused?.(id, direction);
    return true;
  };
  return {
    gater: {
      denyDialPeer: (peerId) => refuse(peerId, 'outbound'),
      denyInboundEncryptedConnection: (peerId) => refuse(peerId, 'inbound'),
      denyOutboundEncryptedConnection: (peerId) => refuse(peerId, 'outbound'),
    },
    isMember: (peerId) => members.has(peerId),
    setMembers: (peerIds) => {
      members = new Set(peerIds);
    },
    members: () => [...members],
  };
}
