import { defineConfig } from 'vitest/config';

/**
 * Integration tests are the files named `*.int.test.ts`: they start real libp2p peers, swarmd daemons, CLI
 * processes, Prometheus or Chromium. Every other `*.test.ts` is a unit test (no process of ours, no peer,
 * no browser; a one-shot python3 reference script, a temp LevelDB and an in-process loopback HTTP server
 * are fine); `npm run test:unit` is meant for every edit, so it stays fast (target: under 30 s).
 */
const INTEGRATION = 'test/**/*.int.test.ts';

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [INTEGRATION] } },
      { extends: true, test: { name: 'integration', include: [INTEGRATION] } },
    ],
  },
});
