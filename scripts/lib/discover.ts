import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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

/** Writes an output file (--json, --junit, --html), creating its folder as --out does. */
export function writeOutput(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
