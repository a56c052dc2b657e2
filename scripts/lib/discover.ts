import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from './errors.ts';
import { isInside, locate, projectRoot, shownPath } from './root.ts';

/** A scenario file found: `file` as shown and recorded (relative to the project
 * root, or absolute outside it), `abs` where it is, `tokenRoot` the folder its
 * tokens name it relative to. */
export interface Found {
  readonly file: string;
  readonly abs: string;
  readonly tokenRoot: string;
}

/** Scenario files under the given files or folders (default: the project's
 * `scenarios/`), sorted so runs are reproducible. A path that does not exist, or a
 * sweep with no scenario at all, is the user's error. */
export async function discoverScenarios(paths: readonly string[], root = projectRoot()): Promise<Found[]> {
  // By default the project's scenarios/, wherever in the project septcheck runs.
  const given = paths.length > 0 ? paths : [shownPath(join(root, 'scenarios'), root)];
  const roots: string[] = [];
  for (const p of given) {
    const abs = paths.length > 0 ? locate(p, root) : join(root, p);
    if (abs === null || !existsSync(abs)) throw new UsageError(`${p}: no such file or directory`);
    roots.push(abs);
  }
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
  for (const p of roots) await walk(p);
  if (out.length === 0) throw new UsageError(`no scenarios found in ${given.join(', ')} (scenario files end in .ts; files starting with '_' are helpers)`);
  // A file named twice (`scenarios scenarios/classic`) runs once.
  return [...new Set(out)].map((abs) => ({ file: shownPath(abs, root), abs, tokenRoot: tokenRootOf(abs, roots) }));
}

/** The folder a scenario's tokens name it relative to: its project's root (so that
 * replay works anywhere in the project), else, for a file in no project, the folder
 * (or the file's folder) it was swept from. */
export function tokenRootOf(abs: string, roots: readonly string[] = []): string {
  const root = projectRoot(dirname(abs));
  if (existsSync(join(root, 'package.json'))) return root;
  return roots.find((r) => isInside(r, abs) && statSync(r).isDirectory()) ?? dirname(abs);
}

/** Writes an output file (--json, --junit, --html), creating its folder as --out
 * does; `-` is standard output. */
export function writeOutput(path: string, text: string): void {
  if (path === '-') {
    process.stdout.write(text);
    return;
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}
