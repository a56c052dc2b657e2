// Engine throughput: septcheck against fast-check's fc.scheduler() on the same
// 3-thread x 20-step shared-counter workload, measured side by side in one process.
import fc from 'fast-check';
import { explore, type Program } from '../../src/engine/index.ts';

export const THREADS = 3;
export const STEPS = 20;

/** The counter workload as a septcheck program: each step reads and bumps a counter. */
export const counterProgram: Program = {
  name: 'counter-3x20',
  setup(run) {
    const shared = { counter: 0 };
    for (let i = 0; i < THREADS; i++) {
      run.spawn(`T${i}`, async () => {
        for (let s = 0; s < STEPS; s++) {
          await run.point({ kind: 'inc', obj: 'counter' });
          shared.counter++;
        }
      });
    }
  },
};

export interface Throughput {
  schedules: number;
  steps: number;
  seconds: number;
  schedulesPerSec: number;
  stepsPerSec: number;
}

function figures(schedules: number, steps: number, seconds: number): Throughput {
  return { schedules, steps, seconds, schedulesPerSec: schedules / seconds, stepsPerSec: steps / seconds };
}

export async function benchSeptcheck(schedules: number, strategy: 'random' | 'stress' = 'random'): Promise<Throughput> {
  const t0 = performance.now();
  const r = await explore(counterProgram, { strategy, schedules, seed: 1 });
  return figures(r.stats.schedules, r.stats.steps, (performance.now() - t0) / 1000);
}

/** The same workload under fc.scheduler(): each step is a scheduled promise. */
export async function benchFcScheduler(schedules: number): Promise<Throughput> {
  let steps = 0;
  const t0 = performance.now();
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), async (s) => {
      const shared = { counter: 0 };
      const thread = async () => {
        for (let i = 0; i < STEPS; i++) {
          await s.schedule(Promise.resolve(), 'inc');
          shared.counter++;
          steps++;
        }
      };
      // waitAll is fc.scheduler's fastest driver; every step here is scheduled, so
      // it cannot stop early (the step count below checks that).
      const all = Promise.all(Array.from({ length: THREADS }, thread));
      await s.waitAll();
      await all;
    }),
    { numRuns: schedules, seed: 1 },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (steps !== schedules * THREADS * STEPS) throw new Error(`fc.scheduler ran ${steps} steps, expected ${schedules * THREADS * STEPS}`);
  return figures(schedules, steps, seconds);
}

/**
 * The floor: the same workload under the least a callback-driven scheduler can do.
 * Each step awaits a promise; when a thread parks, a seeded xorshift picks the next
 * one and resolves its promise. No traces, checks, footprints or findings: what
 * septcheck costs on top of this is the engine's own overhead (issue 15).
 */
export async function benchBareHandoff(schedules: number): Promise<Throughput> {
  let steps = 0;
  let x = 1;
  const next = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  const t0 = performance.now();
  for (let r = 0; r < schedules; r++) {
    const waiting: Array<() => void> = [];
    let live = THREADS;
    let done!: () => void;
    const over = new Promise<void>((res) => (done = res));
    const pick = () => {
      if (waiting.length === 0) return;
      const i = next(waiting.length);
      const go = waiting[i]!;
      waiting[i] = waiting[waiting.length - 1]!;
      waiting.pop();
      go();
    };
    const point = () => new Promise<void>((res) => waiting.push(res));
    const shared = { counter: 0 };
    for (let t = 0; t < THREADS; t++) {
      void (async () => {
        for (let s = 0; s < STEPS; s++) {
          const p = point();
          if (waiting.length === live) pick();
          await p;
          shared.counter++;
          steps++;
        }
        live--;
        if (live === 0) done();
        else if (waiting.length === live) pick();
      })();
    }
    await over;
  }
  return figures(schedules, steps, (performance.now() - t0) / 1000);
}

export interface EngineFigures {
  /** Each figure is the median over the rounds; `cpuSchedulesPerSec` is per CPU
   * second of the process (user + system). */
  readonly septcheck: Timed;
  readonly fcScheduler: Timed;
  /** The floor: a bare callback-driven hand-off of the same workload. */
  readonly bare?: Timed;
  /** septcheck's schedules per CPU second over the floor's: the median of the
   * rounds' own ratios. */
  readonly ofFloor?: number;
  /** The same, in wall time. */
  readonly ofFloorWall?: number;
  /** Alternating rounds measured. */
  readonly rounds?: number;
  /** The same workload as stress runs (event-loop turns, no scheduler): for scale. */
  readonly stress: Throughput;
  /** septcheck over fc.scheduler, per CPU second, median of the rounds' ratios. */
  readonly ratio: number;
}

/** A throughput and the CPU time it took. */
export interface Timed extends Throughput {
  cpuSeconds: number;
  cpuSchedulesPerSec: number;
}

async function timed(run: () => Promise<Throughput>): Promise<Timed> {
  const c0 = process.cpuUsage();
  const t = await run();
  const c = process.cpuUsage(c0);
  const cpuSeconds = (c.user + c.system) / 1e6;
  return { ...t, cpuSeconds, cpuSchedulesPerSec: t.schedules / cpuSeconds };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The round's figure whose CPU throughput is the median (a real measurement,
 * not a blend of several). */
function medianOf(ts: readonly Timed[]): Timed {
  const s = [...ts].sort((a, b) => a.cpuSchedulesPerSec - b.cpuSchedulesPerSec);
  return s[(s.length - 1) >> 1]!;
}

/**
 * `rounds` alternating rounds after a warm-up of each side. The machine is shared:
 * time other processes take shows in wall time, not in the process's CPU time, and
 * a slow patch slows both sides of the round it falls in. So each round compares
 * its own septcheck and floor runs, by CPU time, and the figure is the median of
 * those ratios (the best of each side, measured in different rounds, paired a
 * lucky run of one with an unlucky run of the other). Wall-time ratios are kept
 * beside them.
 */
export async function benchEngine(rounds = 5, schedules = 50_000): Promise<EngineFigures> {
  await benchSeptcheck(2_000);
  await benchFcScheduler(2_000);
  await benchBareHandoff(2_000);
  const ours: Timed[] = [];
  const theirs: Timed[] = [];
  const bare: Timed[] = [];
  for (let i = 0; i < rounds; i++) {
    ours.push(await timed(() => benchSeptcheck(schedules)));
    bare.push(await timed(() => benchBareHandoff(schedules)));
    theirs.push(await timed(() => benchFcScheduler(schedules / 5)));
  }
  const perRound = (a: readonly Timed[], b: readonly Timed[], f: (t: Timed) => number) => median(a.map((x, i) => f(x) / f(b[i]!)));
  const stress = await benchSeptcheck(2_000, 'stress');
  return {
    septcheck: medianOf(ours),
    fcScheduler: medianOf(theirs),
    bare: medianOf(bare),
    ofFloor: perRound(ours, bare, (t) => t.cpuSchedulesPerSec),
    ofFloorWall: perRound(ours, bare, (t) => t.schedulesPerSec),
    rounds,
    stress,
    ratio: perRound(ours, theirs, (t) => t.cpuSchedulesPerSec),
  };
}
