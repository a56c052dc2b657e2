// The project root: the folder of the nearest package.json. Paths given to septcheck
// are found from the working directory or, failing that, from the root, so sweep,
// list and replay work from any subdirectory; scenario files are shown, and named
// in tokens, relative to their root.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** The folder of the nearest package.json at or above `from`; `from` itself when
 * there is none (a scenario folder in no package). */
export function projectRoot(from = process.cwd()): string {
  const start = resolve(from);
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return start;
  }
}

/** Is `path` inside `dir` (or `dir` itself)? Both absolute. */
export function isInside(dir: string, path: string): boolean {
  const r = relative(dir, path);
  return !r.startsWith('..') && !isAbsolute(r);
}

/** `path` relative to `root` with forward slashes when it is inside, else absolute. */
export function shownPath(abs: string, root: string): string {
  return isInside(root, abs) ? relative(root, abs).split('\\').join('/') : abs;
}

/** Where a path the user gave is: from the working directory if it exists there,
 * else from the project root; null when neither has it. */
export function locate(path: string, root: string): string | null {
  for (const base of [process.cwd(), root]) {
    const abs = resolve(base, path);
    if (existsSync(abs)) return abs;
  }
  return null;
}
