import { basename, dirname } from 'node:path';
import { scenarioFileHash, strategyNames } from '../../src/engine/index.ts';
import { variants } from '../../src/variants/index.ts';
import { checkFiles } from '../lib/checks.ts';
import { discoverScenarios } from '../lib/discover.ts';
import { defaultWorkers, WorkerPool, type SweepTask } from '../lib/pool.ts';
import { EXIT } from '../lib/verdict.ts';
import { DEFAULT_STEP_TIME } from './sweep.ts';

/** Columns `list` keeps to, for a terminal or a mail. */
export const LIST_WIDTH = 100;

/** `s` cut to `width` columns, with an ellipsis where it was cut. */
export const fit = (s: string, width = LIST_WIDTH) => (s.length <= width ? s : `${s.slice(0, width - 1)}…`);

/** Lists the scenarios under the given paths, the known variants and the strategies,
 * in at most LIST_WIDTH columns: scenarios by folder, each a line (name, expected
 * verdict, variant) and its description below. Scenario files are loaded and
 * checked in workers, as a sweep does; resolves to the exit code (3 when a file's
 * code fails while loading or being checked). */
export async function list(paths: readonly string[]): Promise<number> {
  const files = await discoverScenarios(paths);
  const tasks: SweepTask[] = [];
  for (const f of files) tasks.push({ kind: 'check', ...f, hash: await scenarioFileHash(f.abs), settings: {} });
  const pool = new WorkerPool(Math.max(1, Math.min(defaultWorkers(), tasks.length)), { stepTime: DEFAULT_STEP_TIME });
  let checked;
  try {
    checked = await checkFiles(pool, tasks);
  } finally {
    await pool.close();
  }
  const rows: { folder: string; cells: [string, string, string]; text: string }[] = [];
  let broken = 0;
  for (const t of tasks) {
    const c = checked.get(t.file)!;
    const file = basename(t.file);
    const named = (name: string) => (`${name}.ts` === file ? name : `${name} (${file})`);
    const folder = `${dirname(t.file)}/`;
    if (c.kind === 'ok') rows.push({ folder, cells: [named(c.info.name), c.info.expected, c.info.variant], text: c.info.description });
    else {
      broken++;
      const f = c.record.findings[0]!;
      rows.push({ folder, cells: [named(c.record.name), 'ERROR', f.kind], text: f.message });
    }
  }
  const w = [0, 1].map((i) => Math.max(...rows.map((r) => r.cells[i]!.length)));
  const lines: string[] = [`Scenarios (${rows.length}):`];
  let folder = '';
  for (const r of rows) {
    if (r.folder !== folder) lines.push('', (folder = r.folder));
    const [name, expected, variant] = r.cells;
    lines.push(fit(`  ${name.padEnd(w[0]!)}  ${expected.padEnd(w[1]!)}  ${variant}`.trimEnd()));
    if (r.text !== '') lines.push(fit(`      ${r.text}`));
  }
  const vw = Math.max(...variants.map((v) => v.name.length));
  lines.push('', `Variants (${variants.length}):`, '', ...variants.flatMap((v) => [fit(`  ${v.name.padEnd(vw)}  ${v.description.split('\n')[0]!}`), fit(`  ${''.padEnd(vw)}  overrides: ${v.changes.length === 0 ? 'none (upstream)' : v.changes.join(', ')}`)]));
  const sweepable = strategyNames.filter((n) => n !== 'replay');
  lines.push('', ...wrap(`Strategies: ${sweepable.join(', ')} (replay: regressions only)`));
  console.log(lines.join('\n'));
  return broken > 0 ? EXIT.unjudged : EXIT.met;
}

/** Words wrapped at LIST_WIDTH columns, continuation lines indented. */
function wrap(text: string): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > LIST_WIDTH) {
      out.push(line);
      line = `  ${word}`;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...out, line];
}
