import type { Command } from 'commander';
import type { SiteWorkFactory } from '../node/index.js';
import { node } from './parts.js';

/**
 * `swarmd start`: the site daemon until SIGINT/SIGTERM. The components are the daemon's (its round work);
 * swarmd's own CLI passes none, so the daemon trains honestly. A harness entry point outside the product
 * (bench/demo-attack/site.ts) adds this command with its own round work.
 */
export function addStartCommand(program: Command, components: { work?: () => SiteWorkFactory } = {}): void {
  program
    .command('start')
    .description('run the site daemon until SIGINT/SIGTERM: join the swarm, train, merge, checkpoint')
    .requiredOption('--config <file>', 'site config (YAML)')
    .option('--bootstrap <multiaddr...>', 'peers to dial at start (added to the config)')
    .action(async (o: { config: string; bootstrap?: string[] }) => {
      const { createLogger, startDaemon } = await node();
      const logger = createLogger({ level: 'info', pretty: 'auto' });
      const work = components.work?.();
      const daemon = await startDaemon({ configPath: o.config, bootstrap: o.bootstrap, logger, work });
      console.error(
        `swarmd ${daemon.peerId} listening on ${daemon.addrs().join(' ')}; status ${daemon.statusUrl}`,
      );
      await new Promise<void>((resolve) => {
        const shutdown = (signal: string) => {
          logger.info({ signal }, 'shutting down');
          resolve();
        };
        process.once('SIGINT', () => shutdown('SIGINT'));
        process.once('SIGTERM', () => shutdown('SIGTERM'));
      });
      await daemon.stop();
      logger.info({}, 'stopped cleanly');
    });
}
