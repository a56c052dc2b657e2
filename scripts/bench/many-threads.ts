// dpor's cost per schedule against dfs's as threads grow (issue 16): SCTBench's
// reorder_N shape, N-1 setters and one checker, tracked, at 20, 50 and 100 threads.
// Both run the same number of schedules; the figure is the time per schedule.
import { explore, type Program } from '../../src/engine/index.ts';

export interface ManyThreadsRow {
  readonly threads: number;
  readonly schedules: number;
  readonly dfsMsPerSchedule: number;
  readonly dporMsPerSchedule: number;
  readonly ratio: number;
}

const SCHEDULES = 300;

/** reorder_N (SCTBench CS): setters write a then b; the checker reads a then b. */
function reorder(n: number): Program {
  return {
    name: `reorder-${n}`,
    tracked: true,
    setup(run) {
      const a = run.cell('a', 0);
      const b = run.cell('b', 0);
      for (let i = 0; i < n - 1; i++) {
        run.spawn(`setter${i}`, async () => {
          await run.point({ kind: 'store', obj: 'a', footprint: [] });
          a.set(1);
          await run.point({ kind: 'store', obj: 'b', footprint: [] });
          b.set(-1);
        });
      }
      run.spawn('checker', async () => {
        await run.point({ kind: 'load', obj: 'a', footprint: [] });
        const x = a.get();
        await run.point({ kind: 'load', obj: 'b', footprint: [] });
        if (x === 1 && b.get() === 0) run.report({ kind: 'reorder', message: 'checker saw a set and b not yet' });
      });
    },
  };
}

async function msPerSchedule(p: Program, strategy: 'dfs' | 'dpor'): Promise<number> {
  const t0 = performance.now();
  const r = await explore(p, { strategy, schedules: SCHEDULES, stopOnFirst: false, shrink: false });
  return (performance.now() - t0) / r.stats.schedules;
}

export async function benchManyThreads(progress: (line: string) => void): Promise<ManyThreadsRow[]> {
  const out: ManyThreadsRow[] = [];
  for (const n of [20, 50, 100]) {
    const p = reorder(n);
    await msPerSchedule(p, 'dpor'); // warm up both paths before measuring either
    const dfs = await msPerSchedule(p, 'dfs');
    const dpor = await msPerSchedule(p, 'dpor');
    out.push({ threads: n, schedules: SCHEDULES, dfsMsPerSchedule: dfs, dporMsPerSchedule: dpor, ratio: dpor / dfs });
    progress(`many threads: ${n} done`);
  }
  return out;
}

export function manyThreadRows(rows: readonly ManyThreadsRow[]): string[][] {
  return rows.map((r) => [
    'many threads',
    `reorder_${r.threads}, ${r.schedules} schedules`,
    'dpor / dfs per schedule',
    `${r.dporMsPerSchedule.toFixed(3)} ms vs ${r.dfsMsPerSchedule.toFixed(3)} ms: ${r.ratio.toFixed(1)}x`,
    `<= 3x: ${r.ratio <= 3 ? 'met' : 'MISSED'}`,
  ]);
}
