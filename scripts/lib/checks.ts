import { UsageError } from './errors.ts';
import type { CheckedInfo, SweepTask, TaskResult, WorkerPool } from './pool.ts';
import type { ScenarioRecord } from './record.ts';
import type { SplitPlan } from '../../src/engine/index.ts';

export type Checked = { readonly kind: 'ok'; readonly info: CheckedInfo; readonly plan?: SplitPlan } | { readonly kind: 'record'; readonly record: ScenarioRecord };

/** Checks the tasks' files in the pool's workers, before anything runs: the first
 * file with bad input, in the order given, is a UsageError (exit 2). Otherwise each
 * file is fine or has the error record of code that failed while being checked (a
 * file the pool's interruption left unchecked has neither). */
export async function checkFiles(pool: WorkerPool, tasks: readonly SweepTask[]): Promise<Map<string, Checked>> {
  const results = new Map<string, TaskResult>();
  await pool.run(
    tasks.map((t) => ({ ...t, kind: 'check' as const })),
    (t, r) => results.set(t.file, r),
  );
  const out = new Map<string, Checked>();
  for (const t of tasks) {
    const r = results.get(t.file);
    if (r === undefined) continue;
    if (r.kind === 'input') throw new UsageError(r.message);
    if (r.kind !== 'ok' && r.kind !== 'record') throw new Error(`a check answered with '${r.kind}'`);
    out.set(t.file, r);
  }
  return out;
}
