import { InputError, placeOutput, type NamedPath } from '../core/index.js';
import { checkpointOutput } from '../storage/index.js';
import type { SiteConfig, SwarmConfig } from './config.js';

/** The files a site's daemon reads: never the target of its checkpoint export. */
export function siteInputs(configPath: string, site: SiteConfig, swarm: SwarmConfig): NamedPath[] {
  const named: [string | undefined, string][] = [
    [configPath, 'the site config'],
    [site.swarmConfig, 'the swarm config'],
    [site.keyFile, 'the model key file (keyFile)'],
    [swarm.pskFile, 'the swarm key file (pskFile)'],
    [site.data.path, 'the data file (data.path)'],
    [site.data.rowsFile, 'the rows file (data.rowsFile)'],
  ];
  return named.flatMap(([path, what]) => (path === undefined ? [] : [{ path, what }]));
}

/**
 * Refuses, at start, an `exportCheckpoint` path the daemon could not write each round or does not own (an
 * input, a key file, another program's file, a folder or device): found after round 1, it was a stack trace.
 */
export async function assertExportTarget(configPath: string, site: SiteConfig, swarm: SwarmConfig) {
  const fix = `set exportCheckpoint in ${configPath} to a new file path (default: <dataDir>.latest.swck)`;
  const place = await placeOutput(
    checkpointOutput(site.exportCheckpoint!, fix, siteInputs(configPath, site, swarm)),
  );
  if (place.kind === 'in-place') {
    throw new InputError(
      'EXPORT_TARGET',
      `exportCheckpoint ${site.exportCheckpoint} is a device or pipe, not a file; ${fix}`,
    );
  }
}
