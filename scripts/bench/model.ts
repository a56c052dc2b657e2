// Issue 15: the KVM model at engine speed. Model steps per second on the three fixed
// twins and on a 3-thread scenario (random, 3,000 schedules each), and where a
// model exploration's time goes (GC, hashing, invariants, model, engine), from a
// CPU profile taken here, in the bench run.
import { Session } from 'node:inspector/promises';
import { explore, type LoadedScenario } from '../../src/engine/index.ts';

/** Today's figures of issue 15 (random, 3,000 schedules), the baseline of its goal
 * of at least 15x the schedules per second on each fixed twin. */
export const ISSUE_15_BASELINE: Readonly<Record<string, number>> = {
  'v5-44-fixed': 1_215,
  'concurrent-splitters-fixed': 2_121,
  'zap-without-split-fixed': 1_623,
};

export interface ModelRow {
  readonly scenario: string;
  /** What runs: the scenario's own threads, or its parameters for more. */
  readonly label: string;
  readonly threads: number;
  readonly schedules: number;
  readonly steps: number;
  readonly seconds: number;
  readonly schedulesPerSec: number;
  readonly stepsPerSec: number;
  /** The same per second of this process's CPU time (all its threads): less
   * sensitive than wall time to other work on the machine. */
  readonly cpuSchedulesPerSec: number;
  readonly cpuStepsPerSec: number;
}

export interface ModelTarget {
  readonly l: LoadedScenario;
  readonly label?: string;
  readonly params?: unknown;
}

/** Schedules of every target run before any is measured. The targets share most of
 * the model's code, so the first one measured used to pay for its JIT warm-up: 300
 * schedules of it alone left it at about half the speed it ran at once the other
 * targets had run too (session 6, `v5-44-fixed` and its twin
 * `zap-without-split-fixed`, the same workload, measured first and third). */
const WARM_UP = 1_000;

/** `random` on each target, `schedules` schedules, seed 1, after a warm-up of
 * WARM_UP schedules of every target. */
export async function benchModel(targets: readonly ModelTarget[], schedules: number, progress: (line: string) => void): Promise<ModelRow[]> {
  const out: ModelRow[] = [];
  const optsOf = (t: ModelTarget) => {
    const s = t.l.scenario;
    return { strategy: 'random', seed: 1, maxSteps: s.bounds?.maxSteps, shrink: false, ...(t.params === undefined ? {} : { params: t.params }) } as const;
  };
  for (const t of targets) await explore(t.l.scenario, { ...optsOf(t), schedules: WARM_UP });
  for (const t of targets) {
    const s = t.l.scenario;
    const opts = optsOf(t);
    let threads = 0;
    const counted = { ...s, setup: (run: Parameters<typeof s.setup>[0], p: unknown) => (s.setup(run, p as never), (threads = Math.max(threads, run.threads.length))) };
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await explore(counted, { ...opts, schedules });
    const seconds = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    const label = t.label ?? s.name;
    out.push({
      scenario: s.name,
      label,
      threads,
      schedules: r.stats.schedules,
      steps: r.stats.steps,
      seconds,
      schedulesPerSec: r.stats.schedules / seconds,
      stepsPerSec: r.stats.steps / seconds,
      cpuSchedulesPerSec: r.stats.schedules / cpu,
      cpuStepsPerSec: r.stats.steps / cpu,
    });
    progress(`model: ${label} done`);
  }
  return out;
}

/** Shares of a CPU profile's samples (idle time left out), by what they ran. */
export interface ProfileSplit {
  readonly scenario: string;
  readonly schedules: number;
  /** Sampled milliseconds, idle left out. */
  readonly ms: number;
  readonly gc: number;
  readonly hashing: number;
  readonly invariants: number;
  /** The scenario's set-up, made again for every schedule (part of the model's
   * code, counted apart). Absent from figures measured before it was. */
  readonly setup?: number;
  readonly model: number;
  readonly engine: number;
  readonly other: number;
  /** The heaviest functions by self time, for the reader. */
  readonly top: ReadonlyArray<{ readonly fn: string; readonly share: number }>;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The state hash, and the Zobrist upkeep the model's writes do for it. */
const HASHING = /^(kvm_state_hash|piece|value_hash|z_entry|z_fresh|z_carry|z_toggle|z_runs)$/;
const HASH_FILES = /\/(state_hash|zobrist)\.ts$/;

/** What one sample ran, from its stack (innermost first). Exported for its test. */
export function category(stack: readonly ProfileNode[]): 'gc' | 'hashing' | 'invariants' | 'setup' | 'model' | 'engine' | 'other' | 'idle' {
  const leaf = stack[0]!.callFrame.functionName;
  if (leaf === '(garbage collector)') return 'gc';
  if (leaf === '(idle)') return 'idle';
  // Profiler.stop's own sample (its delta spans the wait for the call): the
  // profiler, not the exploration.
  if (stack.some((n) => n.callFrame.url === 'node:inspector')) return 'idle';
  if (inSetup(stack)) return 'setup';
  let model = false;
  let engine = false;
  for (const n of stack) {
    const { functionName: fn, url } = n.callFrame;
    if (HASH_FILES.test(url) || (HASHING.test(fn) && /\/src\/kvm\//.test(url)) || fn === 'stateHashOf') return 'hashing';
    if (fn === 'checkInvariants' || fn === 'checkInvariant') return 'invariants';
    if (/\/src\/(kvm|kernel|variants)\/|\/scenarios\//.test(url)) model = true;
    else if (/\/src\/engine\//.test(url)) engine = true;
  }
  return model ? 'model' : engine ? 'engine' : 'other';
}

/** Whether the sample ran the scenario's set-up: the engine's `execute` called
 * something outside the engine (the program's `setup`; its other callees, the run's
 * constructor and `start`, are the engine's). Threads run from microtasks, not under
 * `execute`, except the first steps `start` takes. */
function inSetup(stack: readonly ProfileNode[]): boolean {
  for (let i = 1; i < stack.length; i++) {
    const n = stack[i]!.callFrame;
    if (n.functionName === 'execute' && /\/src\/engine\/explore\.ts$/.test(n.url)) return !/\/src\/engine\//.test(stack[i - 1]!.callFrame.url);
  }
  return false;
}

/** A CPU profile of `random` on `l` (`schedules` schedules, seed 2), split by what
 * the samples ran: GC, hashing (the terminal-state hash and its upkeep), invariants
 * (checks, and what they call), the scenario's set-up, the model's steps (KVM,
 * kernel, variants, the scenario), the engine, and the rest. */
export async function profileSplit(l: LoadedScenario, schedules: number): Promise<ProfileSplit> {
  const s = l.scenario;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await explore(s, { strategy: 'random', seed: 2, schedules: 200, maxSteps: s.bounds?.maxSteps, shrink: false });
  await session.post('Profiler.start');
  await explore(s, { strategy: 'random', seed: 2, schedules, maxSteps: s.bounds?.maxSteps, shrink: false });
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  await session.post('Profiler.disable');
  session.disconnect();

  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const time = { gc: 0, hashing: 0, invariants: 0, setup: 0, model: 0, engine: 0, other: 0, idle: 0 };
  const self = new Map<string, number>();
  const memo = new Map<number, keyof typeof time>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const dt = profile.timeDeltas[i] ?? 0;
    let cat = memo.get(id);
    if (cat === undefined) {
      const stack: ProfileNode[] = [];
      for (let x: number | undefined = id; x !== undefined; x = parent.get(x)) stack.push(byId.get(x)!);
      memo.set(id, (cat = category(stack)));
    }
    time[cat] += dt;
    if (cat !== 'idle') {
      const f = byId.get(id)!.callFrame;
      const name = `${f.functionName || '(anonymous)'}${f.url === '' ? '' : ` (${f.url.split('/').slice(-2).join('/')})`}`;
      self.set(name, (self.get(name) ?? 0) + dt);
    }
  }
  const busy = time.gc + time.hashing + time.invariants + time.setup + time.model + time.engine + time.other;
  const share = (x: number) => (busy === 0 ? 0 : x / busy);
  const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([fn, t]) => ({ fn, share: share(t) }));
  return {
    scenario: s.name,
    schedules,
    ms: busy / 1000,
    gc: share(time.gc),
    hashing: share(time.hashing),
    invariants: share(time.invariants),
    setup: share(time.setup),
    model: share(time.model),
    engine: share(time.engine),
    other: share(time.other),
    top,
  };
}
