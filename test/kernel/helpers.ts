// Shared helpers of the kernel tests: programs from a setup function, exhaustive
// exploration, and interleaving counts.
import { explore, type ExploreResult, type Program, type Run } from '../../src/engine/index.ts';
import { Kernel, type KernelOptions } from '../../src/kernel/index.ts';

/** A program whose setup gets the run's Kernel. */
export function program(name: string, setup: (k: Kernel, run: Run) => void, opts: KernelOptions = {}): Program {
  return { name, setup: (run: Run) => setup(new Kernel(run, opts), run) };
}

/** Every schedule of `p`, stopping at the first finding. */
export function dfs(p: Program): Promise<ExploreResult> {
  return explore(p, { strategy: 'dfs', schedules: 1e6 });
}

/** n! */
export function factorial(n: number): number {
  let r = 1;
  for (let i = 2; i <= n; i++) r *= i;
  return r;
}

/** The interleavings of threads of the given step counts, none blocking. */
export function multinomial(...steps: number[]): number {
  return steps.reduce((acc, s, i) => acc * choose(steps.slice(0, i + 1).reduce((a, b) => a + b, 0), s), 1);
}

/** n choose k. */
export function choose(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** One step of a thread in the counting model: what its effect does. */
export interface model_step {
  /** Takes a lock exclusively / for read: the step waits until it can. */
  readonly take?: string;
  readonly take_read?: string;
  readonly drop?: string;
  readonly drop_read?: string;
  /** Changes to preemption, bottom-half and interrupt disabling. */
  readonly preempt?: number;
  readonly bh?: number;
  readonly irq?: number;
}

export interface model_thread {
  readonly cpu: number;
  /** 0 task, 1 softirq, 2 hardirq. */
  readonly level?: number;
  /** Its steps, the start step first. */
  readonly steps: readonly model_step[];
}

/**
 * Counts the schedules of a program by brute force over an independent model of
 * the rules the kernel layer asks the scheduler to obey: locks, handlers that run
 * to completion over lower levels on their CPU, softirqs masked by bottom halves or
 * interrupts off, hardirqs masked by interrupts off, and tasks that cannot be
 * preempted by another task on their CPU. A stuck state counts as one schedule.
 */
export function count_schedules(threads: readonly model_thread[]): number {
  const n = threads.length;
  const level = (i: number) => threads[i]!.level ?? 0;
  const count = (pc: number[], mask: number[][], owner: Map<string, number>, readers: Map<string, number>): number => {
    const alive = (i: number) => pc[i]! < threads[i]!.steps.length;
    const masked = (i: number) => mask[i]!.some((m) => m > 0);
    const enabled = (i: number): boolean => {
      if (!alive(i)) return false;
      const t = threads[i]!;
      const s = t.steps[pc[i]!]!;
      if (s.take !== undefined && (owner.has(s.take) || (readers.get(s.take) ?? 0) > 0)) return false;
      if (s.take_read !== undefined && owner.has(s.take_read)) return false;
      for (let j = 0; j < n; j++) {
        if (j === i || threads[j]!.cpu !== t.cpu || !alive(j)) continue;
        if (level(j) > 0 && pc[j]! > 0 && level(i) <= level(j)) return false; // a running handler
        if (level(i) === 0 && level(j) === 0 && masked(j)) return false; // a task that cannot be preempted
        if (pc[i] === 0 && level(i) === 1 && level(j) === 0 && (mask[j]![1]! > 0 || mask[j]![2]! > 0)) return false;
        if (pc[i] === 0 && level(i) === 2 && level(j) < 2 && pc[j]! > 0 && mask[j]![2]! > 0) return false;
      }
      return true;
    };
    let total = 0;
    let any = false;
    for (let i = 0; i < n; i++) {
      if (!enabled(i)) continue;
      any = true;
      const s = threads[i]!.steps[pc[i]!]!;
      const o = new Map(owner);
      const r = new Map(readers);
      if (s.take !== undefined) o.set(s.take, i);
      if (s.drop !== undefined) o.delete(s.drop);
      if (s.take_read !== undefined) r.set(s.take_read, (r.get(s.take_read) ?? 0) + 1);
      if (s.drop_read !== undefined) r.set(s.drop_read, r.get(s.drop_read)! - 1);
      const m = mask.map((x) => x.slice());
      m[i] = [m[i]![0]! + (s.preempt ?? 0), m[i]![1]! + (s.bh ?? 0), m[i]![2]! + (s.irq ?? 0)];
      const p = pc.slice();
      p[i]!++;
      total += count(p, m, o, r);
    }
    return any ? total : 1;
  };
  return count(
    threads.map(() => 0),
    threads.map(() => [0, 0, 0]),
    new Map(),
    new Map(),
  );
}

// Steps of the counting model for the usual operations.
export const start: model_step = {};
export const plain: model_step = {};
export const spin = (l: string): model_step => ({ take: l, preempt: 1 });
export const unspin = (l: string): model_step => ({ drop: l, preempt: -1 });
export const spin_bh = (l: string): model_step => ({ take: l, preempt: 1, bh: 1 });
export const unspin_bh = (l: string): model_step => ({ drop: l, preempt: -1, bh: -1 });
export const spin_irq = (l: string): model_step => ({ take: l, preempt: 1, irq: 1 });
export const unspin_irq = (l: string): model_step => ({ drop: l, preempt: -1, irq: -1 });
export const rlock = (l: string): model_step => ({ take_read: l, preempt: 1 });
export const runlock = (l: string): model_step => ({ drop_read: l, preempt: -1 });
export const sleep_lock = (l: string): model_step => ({ take: l });
export const sleep_unlock = (l: string): model_step => ({ drop: l });
