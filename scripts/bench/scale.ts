// Scale: sweep throughput on 1 and 2 workers, the heap a 16 TiB guest needs, and
// the SPTEs the boundary split visits as the converted range grows.
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Run, type LoadedScenario, type Scenario } from '../../src/engine/index.ts';
import { cost_12tib_params, type cost_params } from '../../scenarios/catalogue/_cost.ts';
import { scale_16tib, scale_16tib_params } from '../../scenarios/scale-16tib.ts';
import { runPool } from '../lib/pool.ts';
import type { SweepSettings } from '../lib/record.ts';

export interface PoolFigures {
  readonly workers: number;
  readonly scenarios: number;
  readonly schedules: number;
  /** Wall time, worker start-up included. */
  readonly seconds: number;
  readonly schedulesPerSec: number;
  /** CPU time of the whole process (all its threads) over the wall time: how many
   * cores the sweep kept busy. */
  readonly cores: number;
}

/** Sweeps `files` with the CLI's pool on `workers` workers. */
export async function sweepThroughput(files: readonly LoadedScenario[], workers: number, settings: SweepSettings): Promise<PoolFigures> {
  let schedules = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await runPool(
    files.map((l) => ({ kind: 'run', file: l.path, abs: resolve(l.path), hash: l.hash, settings, tokenRoot: '.' })),
    workers,
    { stepTime: 60 },
    (_, r) => {
      if (r.kind === 'record') schedules += r.record.schedules;
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { workers, scenarios: files.length, schedules, seconds, schedulesPerSec: schedules / seconds, cores: (cpu.user + cpu.system) / 1e6 / seconds };
}

export interface HeapFigures {
  readonly mappings: number;
  readonly guestTiB: number;
  /** Heap the VM and its run hold once the run is over, after a full GC. */
  readonly heapMiB: number;
  readonly spteVisits: number;
}

/** A full GC, reached without restarting node with --expose-gc. */
function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export async function heap16TiB(): Promise<HeapFigures> {
  gc();
  const before = process.memoryUsage().heapUsed;
  const run = new Run(() => 0, { maxSteps: 200_000, shared: new Map() });
  const vm = scale_16tib(run, scale_16tib_params);
  await run.start();
  if (run.finding !== null) throw new Error(`scale-16tib: ${run.finding.message}`);
  gc();
  const heapMiB = (process.memoryUsage().heapUsed - before) / 2 ** 20;
  // Read after measuring: the VM must still be alive when the heap is.
  return { mappings: scale_16tib_params.mappings, guestTiB: scale_16tib_params.gmem_pages / 2 ** 28, heapMiB, spteVisits: vm.stat.spte_visits };
}

export interface VisitFigures {
  readonly scenario: string;
  readonly range: string;
  /** SPTEs the whole conversion visited, and the boundary split alone. */
  readonly spteVisits: number;
  readonly splitSpteVisits: number;
}

const GiB = 2 ** 30 / 4096;
export const RANGES: ReadonlyArray<[string, number]> = [
  ['1 GiB', GiB],
  ['1 TiB', 1024 * GiB],
  ['12 TiB', 12 * 1024 * GiB],
];

/** One schedule of a cost scenario converting `len` pages. */
export async function spteVisits(s: Scenario<cost_params>, range: string, len: number): Promise<VisitFigures> {
  const run = new Run(() => 0, { maxSteps: s.bounds?.maxSteps ?? 200_000, shared: new Map() });
  s.setup(run, { ...cost_12tib_params, len });
  await run.start();
  if (run.finding !== null) throw new Error(`${s.name}: ${run.finding.message}`);
  const m = run.metrics();
  return { scenario: s.name, range, spteVisits: m.get('spteVisits')!, splitSpteVisits: m.get('splitSpteVisits')! };
}
