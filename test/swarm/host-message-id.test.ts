import { describe, expect, it } from 'vitest';
import { fastMessageId } from '../../src/swarm/net/host.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s));
const message = {
  from: bytes('author'),
  seqno: bytes('12345678'),
  topic: 'swarm/control',
  data: bytes('hello'),
};

describe('the fast gossip message id', () => {
  it('is the same for the same signed content, whatever signature or key a copy carries', () => {
    const a = fastMessageId({ ...message, signature: bytes('genuine'), key: bytes('k') });
    const b = fastMessageId({ ...message, signature: bytes('forged') });
    expect(a).toBe(b);
  });

  it('differs when anything the signature covers differs (author, sequence number, topic, data)', () => {
    const ids = [
      message,
      { ...message, from: bytes('authoR') },
      { ...message, seqno: bytes('12345679') },
      { ...message, topic: 'swarm/updates' },
      { ...message, data: bytes('hellO') },
      { ...message, data: undefined },
    ].map(fastMessageId);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps field boundaries: moving bytes from the topic into the data changes the id', () => {
    const one = fastMessageId({ ...message, topic: 'ab', data: bytes('c') });
    const two = fastMessageId({ ...message, topic: 'a', data: bytes('bc') });
    expect(one).not.toBe(two);
  });
});
