import { readdir, stat, unlink } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Removes `<path>.tmp-<pid>` files that an export of `path` left when its process was killed mid-write.
 * Call it while holding the site's database (its lock makes this process the only writer of `path`).
 * Returns the names removed.
 */
export async function removeStaleExports(path: string): Promise<string[]> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.tmp-`;
  const isStale = (n: string) =>
    n.startsWith(prefix) && /^\d+$/.test(n.slice(prefix.length)) && n !== `${prefix}${process.pid}`;
  const stale = (await entries(dir)).filter((e) => e.isFile() && isStale(e.name)).map((e) => e.name);
  for (const n of stale) await unlink(join(dir, n));
  return stale;
}

/** Bytes the files under `dir` take (apparent sizes, recursively); 0 for a missing folder. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await entries(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory()) total += await directoryBytes(p);
    else if (e.isFile())
      total += await ifPresent(
        stat(p).then((s) => s.size),
        0,
      );
  }
  return total;
}

const entries = (dir: string): Promise<Dirent[]> => ifPresent(readdir(dir, { withFileTypes: true }), []);

/** A missing path reads as `absent` (a LevelDB file may be compacted away between readdir and stat). */
async function ifPresent<T>(p: Promise<T>, absent: T): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    throw err;
  }
}
