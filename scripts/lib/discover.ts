import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Scenario files under the given files or folders, sorted so runs are reproducible. */
export async function discoverScenarios(paths: readonly string[]): Promise<string[]> {
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
  return out;
}
