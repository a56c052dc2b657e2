import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ScenarioRecord, SweepSettings } from './record.ts';

export interface SweepTask {
  readonly file: string;
  readonly settings: SweepSettings;
}

const register = fileURLToPath(new URL('../../bin/register.mjs', import.meta.url));
const worker = new URL('../worker.ts', import.meta.url).href;

/** Runs the tasks on `workers` worker threads, handing each record over as it finishes. */
export async function runPool(
  tasks: readonly SweepTask[],
  workers: number,
  onRecord: (r: ScenarioRecord) => void,
): Promise<void> {
  if (tasks.length === 0) return;
  const n = Math.max(1, Math.min(workers, tasks.length));
  const pool = new Piscina<SweepTask, ScenarioRecord>({
    filename: worker,
    execArgv: ['--import', register],
    minThreads: n,
    maxThreads: n,
    idleTimeout: 1000,
  });
  try {
    // Hand tasks out ourselves, one per free thread, in the sweep's order: piscina's
    // own queue does not start queued tasks first in, first out, so with one worker
    // the scenarios would not run (or print) in the order given.
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < tasks.length) onRecord(await pool.run(tasks[next++]!));
    };
    await Promise.all(Array.from({ length: n }, lane));
  } finally {
    await pool.destroy();
  }
}
