/**
 * Which checkpoints to delete so that the newest `keep` remain, plus every id in `protect` (the one the
 * round log's latest commit applied). Ids sort by age: `round-000012`, `local-20261127T…`.
 */
export function checkpointsToDrop(
  ids: readonly string[],
  keep: number,
  protect: readonly string[],
): string[] {
  const newest = new Set(keep > 0 ? [...ids].sort().slice(-keep) : []);
  return ids.filter((id) => !newest.has(id) && !protect.includes(id));
}
