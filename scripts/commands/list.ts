import { availableParallelism } from 'node:os';
import { scenarioFileHash, strategyNames } from '../../src/engine/index.ts';
import { variants } from '../../src/variants/index.ts';
import { checkFiles } from '../lib/checks.ts';
import { discoverScenarios } from '../lib/discover.ts';
import { WorkerPool, type SweepTask } from '../lib/pool.ts';
import { table } from '../lib/table.ts';
import { EXIT } from '../lib/verdict.ts';
import { DEFAULT_STEP_TIME } from './sweep.ts';

/** Lists the scenarios under the given paths, the known variants and the strategies.
 * Scenario files are loaded and checked in workers, as a sweep does; resolves to the
 * exit code (3 when a file's code fails while loading or being checked). */
export async function list(paths: readonly string[]): Promise<number> {
  const files = await discoverScenarios(paths.length > 0 ? paths : ['scenarios']);
  const tasks: SweepTask[] = [];
  for (const file of files) tasks.push({ kind: 'check', file, hash: await scenarioFileHash(file), settings: {}, tokenRoot: '.' });
  const pool = new WorkerPool(Math.max(1, Math.min(availableParallelism(), tasks.length)), { stepTime: DEFAULT_STEP_TIME });
  let checked;
  try {
    checked = await checkFiles(pool, tasks);
  } finally {
    await pool.close();
  }
  const rows: string[][] = [];
  let broken = 0;
  for (const t of tasks) {
    const c = checked.get(t.file)!;
    if (c.kind === 'ok') rows.push([c.info.name, t.file, c.info.variant, c.info.expected, c.info.description]);
    else {
      broken++;
      const f = c.record.findings[0]!;
      rows.push([c.record.name, t.file, '-', '-', `ERROR ${f.kind}: ${f.message}`]);
    }
  }
  console.log(`Scenarios (${rows.length}):\n\n${table(['scenario', 'file', 'variant', 'expected', 'description'], rows)}`);
  const vrows = variants.map((v) => [v.name, v.description.split('\n')[0]!]);
  console.log(`\nVariants (${vrows.length}):\n\n${table(['variant', 'description'], vrows)}`);
  const sweepable = strategyNames.filter((n) => n !== 'replay');
  console.log(`\nStrategies: ${sweepable.join(', ')} (replay: regressions only)`);
  return broken > 0 ? EXIT.unjudged : EXIT.met;
}
