import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/node/status/index.js';

/** A destination that keeps what pino writes. */
function capture(): { write(line: string): void; text(): string } {
  const chunks: string[] = [];
  return { write: (line) => void chunks.push(line), text: () => chunks.join('') };
}

describe('logger', () => {
  it('writes no value of a secret-named field, at any depth', () => {
    const out = capture();
    const log = createLogger({ pretty: false, destination: out });
    log.info({ psk: 'x-psk-value', token: 'y-token-value', round: 4 }, 'joined swarm');
    log.warn(
      { config: { swarm: { key: 'k-value', secret: 's-value' } }, peers: [{ privateKey: 'p-value' }] },
      'cfg',
    );
    log.child({ token: 'child-token' }).info('child');
    const text = out.text();
    for (const value of ['x-psk-value', 'y-token-value', 'k-value', 's-value', 'p-value', 'child-token']) {
      expect(text).not.toContain(value);
    }
    const [first] = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      psk: '[redacted]',
      token: '[redacted]',
      round: 4,
      msg: 'joined swarm',
      level: 30,
    });
  });

  it('writes JSON lines unless pretty, and human lines through pino-pretty when pretty', () => {
    const json = capture();
    createLogger({ pretty: false, destination: json }).info({ peer: 'A' }, 'hello');
    expect(JSON.parse(json.text())).toMatchObject({ peer: 'A', msg: 'hello' });

    const human = capture();
    createLogger({ pretty: true, destination: human }).info({ peer: 'A', psk: 'x-psk-value' }, 'hello');
    expect(human.text()).toMatch(/INFO.*hello/);
    expect(human.text()).toContain('peer: "A"');
    expect(human.text()).not.toContain('x-psk-value');
  });

  it('honours the level', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', pretty: false, destination: out });
    log.info('quiet');
    log.warn('loud');
    expect(out.text()).not.toContain('quiet');
    expect(out.text()).toContain('loud');
  });
});
