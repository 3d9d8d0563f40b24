import { SwarmdError } from '../core/index.js';

// libp2p reports failed listen addresses as one message that embeds each address's error with its stack:
// "…failed to be listened on…:\n\n  /ip4/127.0.0.1/tcp/4101: Error: listen EADDRINUSE: …\n      at …".
const ADDRESS_LINE = /^\s*(\/\S+): (?:\w*Error: )?(.+)$/;

const REASONS: [RegExp, string][] = [
  [/EADDRINUSE/, 'the port is already in use (another swarmd or another program?)'],
  [/EADDRNOTAVAIL/, 'this machine has no such address'],
  [/EACCES/, 'permission denied (ports below 1024 need privileges)'],
  [
    /No transport was configured/,
    'unsupported transport (swarmd listens on TCP only, e.g. /ip4/0.0.0.0/tcp/4101)',
  ],
];

/**
 * The swarm host could not listen: one line naming each address and why, and where to change it, instead of
 * libp2p's multi-line report. Any other error is returned unchanged.
 */
export function explainListenFailure(err: unknown, siteConfigPath: string): unknown {
  if (!(err instanceof SwarmdError) || err.code !== 'HOST_START_FAILED') return err;
  const detail = err.cause instanceof Error ? err.cause.message : err.message;
  const failures = detail.split('\n').flatMap((line) => {
    const m = ADDRESS_LINE.exec(line);
    if (!m) return [];
    const reason = REASONS.find(([pattern]) => pattern.test(m[2]))?.[1] ?? m[2];
    return [`${m[1]}: ${reason}`];
  });
  const what = failures.length > 0 ? `on ${failures.join('; ')}` : `(${detail.split('\n')[0]})`;
  return new SwarmdError(
    'LISTEN_FAILED',
    `cannot listen for swarm peers ${what}; change \`listen\` in ${siteConfigPath}`,
    { cause: err },
  );
}
