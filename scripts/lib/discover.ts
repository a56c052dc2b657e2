import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from './errors.ts';

/** Scenario files under the given files or folders, sorted so runs are reproducible.
 * A path that does not exist is the user's error. */
export async function discoverScenarios(paths: readonly string[]): Promise<string[]> {
  for (const p of paths) if (!existsSync(p)) throw new UsageError(`${p}: no such file or directory`);
  const out: string[] = [];
  const walk = async (p: string): Promise<void> => {
    const s = await stat(p);
    if (s.isFile()) {
      out.push(p);
      return;
    }
    const entries = (await readdir(p)).sort();
    for (const e of entries) {
      const q = join(p, e);
      if ((await stat(q)).isDirectory()) await walk(q);
      else if (e.endsWith('.ts') && !e.endsWith('.d.ts') && !e.startsWith('_')) out.push(q);
    }
  };
  for (const p of paths) await walk(p);
  // A file named twice (`scenarios scenarios/classic`) runs once.
  return [...new Set(out.map((f) => join(f)))];
}

/** The folder a scenario's tokens name it relative to: the working directory when
 * the file is inside it, else the folder (or the file's folder) it was swept from. */
export function tokenRootOf(file: string, roots: readonly string[]): string {
  const inside = (dir: string) => {
    const r = relative(resolve(dir), resolve(file));
    return !r.startsWith('..') && !isAbsolute(r);
  };
  if (inside('.')) return resolve('.');
  const root = roots.find((r) => inside(r) && existsSync(r) && statSync(r).isDirectory());
  return resolve(root ?? dirname(file));
}

/** Writes an output file (--json, --junit, --html), creating its folder as --out does. */
export function writeOutput(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
