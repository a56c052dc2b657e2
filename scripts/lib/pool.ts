import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { describeThrown, type Reconciled, type SplitPlan, type Witness } from '../../src/engine/index.ts';
import type { PartRecord } from './parts.ts';
import { Phase, PROBE_BYTES, ProbeReader, type ProbeState } from './probe.ts';
import type { FindingRecord, ScenarioRecord, SweepSettings } from './record.ts';
import { errorRecord, fileInfo, type ScenarioInfo } from './verdict.ts';

/** One scenario file for a worker: `check` loads and checks it (and with `split`
 * plans its work items), `run` explores it, `part` explores one of its items,
 * `reconcile` replays its parts' witnesses together (see src/engine/split.ts). */
export interface SweepTask {
  readonly kind: 'check' | 'run' | 'part' | 'reconcile';
  /** As shown and recorded: relative to the project root, or absolute outside it. */
  readonly file: string;
  /** Where it is. */
  readonly abs: string;
  readonly hash: string;
  readonly settings: SweepSettings;
  /** The folder its tokens name it relative to. */
  readonly tokenRoot: string;
  /** What the check found out, for the record of a run that dies. */
  readonly info?: ScenarioInfo;
  /** check: plan the scenario's split into work items too. */
  readonly split?: boolean;
  /** part: item `item` of `plan`, under `cap` schedules at most. */
  readonly part?: { readonly plan: SplitPlan; readonly item: number; readonly cap: number };
  /** part: a cap the coordinator lowers while the part runs (Float64 slot 0). */
  readonly control?: SharedArrayBuffer;
  /** reconcile: the schedules to replay together, in order. */
  readonly witnesses?: readonly Witness[];
}

/** Where a pool takes its tasks from, one at a time as workers free up: a sweep's
 * split scenarios make tasks as the results of others come in. */
export interface TaskSource {
  /** The next task to start, or null when there is none to start now (more may
   * come once a running task is done). */
  next(): SweepTask | null;
}

/** What a scenario is, as a check reports it. */
export interface CheckedInfo extends ScenarioInfo {
  readonly description: string;
}

export type TaskResult =
  | { readonly kind: 'ok'; readonly info: CheckedInfo; readonly plan?: SplitPlan }
  | { readonly kind: 'input'; readonly message: string }
  | { readonly kind: 'record'; readonly record: ScenarioRecord }
  | { readonly kind: 'part'; readonly part: PartRecord }
  | { readonly kind: 'reconciled'; readonly reconciled: Reconciled<FindingRecord> };

/** Hard limits on a worker, in seconds. */
export interface Limits {
  /** Wall time of one task (--time); none by default. */
  readonly time?: number;
  /** How long scenario code may run without a heartbeat (--step-time). */
  readonly stepTime: number;
}

/** Worker threads a sweep uses unless told: one core is left to the main thread,
 * which hashes, records and draws the progress. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** Importing a file (tsx transforms it, and what it imports) may take longer than a step. */
const LOAD_TIME = 60;
/** A worker that never starts its task. */
const START_TIME = 120;
const POLL_MS = 50;

const register = fileURLToPath(new URL('../../bin/register.mjs', import.meta.url));
const worker = new URL('../worker.ts', import.meta.url).href;

/** A task in flight, as the progress display shows it. */
export interface Running {
  readonly task: SweepTask;
  /** Schedules it has run so far (shrinking's replays included). */
  readonly schedules: number;
}

/** Worker threads for the tasks of a sweep (or a list). A worker that runs past the
 * limits is terminated; one that dies (process.exit, an uncaught error) is replaced.
 * Either way its scenario gets an error record, and the other tasks go on. */
export class WorkerPool {
  /** Started on first use: a sweep with nothing to run starts no thread. */
  private pool: Piscina<SweepTask & { probe: SharedArrayBuffer }, TaskResult> | null = null;
  private readonly inflight = new Map<SweepTask, { reader: ProbeReader; abort: AbortController }>();
  /** Schedules the finished tasks ran, by their probes. */
  private finishedSchedules = 0;
  private interrupted = false;

  constructor(
    private readonly workers: number,
    private readonly limits: Limits,
  ) {}

  /** Runs the tasks, handing each result over as it comes. After `interrupt()` no
   * task starts, and the ones cut short have no result. */
  async run(tasks: readonly SweepTask[] | TaskSource, onResult: (task: SweepTask, r: TaskResult) => void): Promise<void> {
    // Hand tasks out ourselves, one per free thread, in the sweep's order: piscina's
    // own queue does not start queued tasks first in, first out, so with one worker
    // the scenarios would not run (or print) in the order given.
    const source = Array.isArray(tasks) ? listSource(tasks as readonly SweepTask[]) : (tasks as TaskSource);
    if (Array.isArray(tasks) && tasks.length === 0) return;
    const pool = (this.pool ??= new Piscina({
      filename: worker,
      execArgv: ['--import', register],
      minThreads: this.workers,
      maxThreads: this.workers,
      idleTimeout: 1000,
    }));
    let running = 0;
    let waiting: Array<() => void> = [];
    const changed = () => {
      const w = waiting;
      waiting = [];
      for (const wake of w) wake();
    };
    const lane = async (): Promise<void> => {
      while (!this.interrupted) {
        const task = source.next();
        if (task === null) {
          // Nothing to start: done once nothing runs that could make more.
          if (running === 0) return changed();
          await new Promise<void>((r) => waiting.push(r));
          continue;
        }
        running++;
        const probe = new SharedArrayBuffer(PROBE_BYTES);
        const watched = { reader: new ProbeReader(probe), abort: new AbortController() };
        this.inflight.set(task, watched);
        let r: TaskResult;
        try {
          r = await runWatched(pool, task, probe, watched, this.limits);
        } finally {
          this.inflight.delete(task);
          this.finishedSchedules += watched.reader.state().schedules;
          running--;
        }
        if (this.interrupted && watched.abort.signal.reason === INTERRUPT) return changed();
        try {
          onResult(task, r);
        } finally {
          changed();
        }
      }
      changed();
    };
    const lanes = Array.isArray(tasks) ? Math.min(this.workers, (tasks as readonly SweepTask[]).length) : this.workers;
    await Promise.all(Array.from({ length: lanes }, lane));
  }

  /** The tasks in flight, and how far each is. */
  running(): Running[] {
    return [...this.inflight].map(([task, w]) => ({ task, schedules: w.reader.state().schedules }));
  }

  /** Schedules run so far by every task, finished or in flight. */
  schedules(): number {
    return this.finishedSchedules + this.running().reduce((n, r) => n + r.schedules, 0);
  }

  /** Stops the run (Ctrl-C): no task starts, and the running ones are stopped, their
   * workers terminated; `run` then resolves with what finished. */
  interrupt(): void {
    this.interrupted = true;
    for (const w of this.inflight.values()) w.abort.abort(INTERRUPT);
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}

/** A list of tasks as a source, in order. */
function listSource(tasks: readonly SweepTask[]): TaskSource {
  let next = 0;
  return { next: () => (next < tasks.length ? tasks[next++]! : null) };
}

/** The abort reason of an interrupted task. */
const INTERRUPT = Symbol('interrupted');

/** Runs the tasks on a pool of their own, to the end. */
export async function runPool(
  tasks: readonly SweepTask[],
  workers: number,
  limits: Limits,
  onResult: (task: SweepTask, r: TaskResult) => void,
): Promise<void> {
  const pool = new WorkerPool(Math.max(1, Math.min(workers, tasks.length)), limits);
  try {
    await pool.run(tasks, onResult);
  } finally {
    await pool.close();
  }
}

async function runWatched(
  pool: Piscina,
  task: SweepTask,
  probe: SharedArrayBuffer,
  { reader, abort }: { reader: ProbeReader; abort: AbortController },
  limits: Limits,
): Promise<TaskResult> {
  let killed: { kind: string; message: string; state: ProbeState } | null = null;
  const stop = watch(reader, limits, (kind, message, state) => {
    killed ??= { kind, message, state };
    abort.abort();
  });
  try {
    return (await pool.run({ ...task, probe }, { signal: abort.signal })) as TaskResult;
  } catch (e) {
    const state = reader.state();
    const k = killed as { kind: string; message: string; state: ProbeState } | null;
    if (k !== null) return { kind: 'record', record: errorRecord(infoOf(task), k.kind, k.message, progress(k.state)) };
    const msg = describeThrown(e);
    const exit = /worker exited with code: (-?\d+)/.exec(msg);
    const [kind, message] = exit ? ['process-exit', `scenario code called process.exit(${exit[1]}) ${where(state)}`] : ['scenario-crash', `the worker died ${where(state)}: ${msg}`];
    return { kind: 'record', record: errorRecord(infoOf(task), kind, message, progress(state)) };
  } finally {
    stop();
  }
}

/** Polls the task's probe; calls `kill` once a limit is passed. Wall time here is
 * the parent's: exploration in the worker never reads a clock. */
function watch(reader: ProbeReader, limits: Limits, kill: (kind: string, message: string, state: ProbeState) => void): () => void {
  const dispatched = performance.now();
  let beat = 0;
  let beatAt = dispatched;
  let startedAt: number | null = null;
  const timer = setInterval(() => {
    const now = performance.now();
    const b = reader.beat();
    if (b !== beat) {
      beat = b;
      beatAt = now;
      startedAt ??= now;
    }
    if (startedAt === null) {
      if (now - dispatched > START_TIME * 1000) kill('scenario-crash', `the worker did not start the scenario within ${START_TIME}s`, reader.state());
      return;
    }
    const s = reader.state();
    if (limits.time !== undefined && now - startedAt > limits.time * 1000) {
      return kill('timeout', `no verdict within --time ${limits.time}s: stopped ${where(s)} after ${s.schedules} schedule${s.schedules === 1 ? '' : 's'}`, s);
    }
    const limit = s.phase === Phase.Load ? Math.max(LOAD_TIME, limits.stepTime) : limits.stepTime;
    if (s.phase !== Phase.Idle && now - beatAt > limit * 1000) kill(...hung(s, limit));
  }, POLL_MS);
  return () => clearInterval(timer);
}

function hung(s: ProbeState, limit: number): [string, string, ProbeState] {
  if (s.phase === Phase.Step) {
    return ['hung-thread', `thread ${s.thread} never yielded: it ran ${limit}s past its scheduling point ${s.point} (step ${s.step - 1}) without reaching another`, s];
  }
  return ['hung-scenario', `scenario code did not return within ${limit}s: ${where(s)}`, s];
}

/** Where in the scenario the worker was. */
function where(s: ProbeState): string {
  switch (s.phase) {
    case Phase.Load:
      return 'while loading the file';
    case Phase.Setup:
      return 'in setup';
    case Phase.Step:
      return `in thread ${s.thread} after ${s.point} (step ${s.step - 1})`;
    case Phase.Between:
      return `in the invariants after step ${s.step - 1}`;
    case Phase.Hook:
      return `in ${s.hook}()`;
    default:
      return 'between schedules';
  }
}

const progress = (s: ProbeState) => ({ schedules: s.schedules, steps: s.phase === Phase.Step || s.phase === Phase.Between ? s.step : 0 });

/** What is known of a task's scenario: what its check found, or its file name. */
const infoOf = (task: SweepTask): ScenarioInfo => task.info ?? fileInfo(task);
