import type { Logger } from '../core/index.js';
import {
  countLikeMax,
  describeCountLike,
  describeSuspectColumns,
  type FeatureTransform,
} from '../models/index.js';
import type { SiteData } from './site-data.js';

/**
 * What a site's data suggests the operator fix, logged once at start: metadata columns used as features,
 * and counts left untransformed.
 */
export function warnAboutSiteData(log: Logger, data: SiteData, transform: FeatureTransform): void {
  const countLike = transform === 'none' ? countLikeMax(data.ds) : null;
  if (countLike !== null)
    log.warn(
      { max: countLike },
      `${describeCountLike(countLike)}: set preprocess.transform: log1p in the swarm config`,
    );
  if (data.suspectColumns.length > 0)
    log.warn(
      { columns: data.suspectColumns.map((c) => c.column) },
      `${describeSuspectColumns(data.suspectColumns)} look like sample metadata, not measurements, and are ` +
        `used as features: list them under data.ignore in the site config (like --ignore) if so`,
    );
}
