// The kernel of one schedule: its tasks and CPUs, the preemption and interrupt
// masking rules the scheduler must obey, lockdep, and the configuration knobs.
import { captureStack, checksOf, cpuKey, StressRun, type FindingInput, type Footprint, type Op, type Run, type SimThread } from '../engine/index.ts';
import { lockdep_graph_of } from './lockdep/graph.ts';
import { lockdep } from './lockdep/lockdep.ts';
import { held_at_exit } from './lockdep/reports.ts';
import { kernel_reporter } from './reporter.ts';
import { name_id } from './shared.ts';
import { HARDIRQ_LEVEL, SOFTIRQ_LEVEL, SOFTIRQ_MASK, TASK_LEVEL, task_struct } from './task.ts';

export interface KernelOptions {
  /** CONFIG_PROVE_LOCKING (default on): recursion, lock-order and irq-state checks.
   * Held-lock tracking, bad unlocks, asserts and might_sleep() stay on without it. */
  readonly prove_locking?: boolean;
  /** lockdep_sys_exit() (CONFIG_DEBUG_LOCK_ALLOC, default on): a task that exits
   * holding a lock is a `lock-held-at-exit` finding. */
  readonly held_at_exit?: boolean;
  /** CONFIG_DEBUG_ATOMIC_SLEEP (default on): might_sleep()'s `sleep-in-atomic`. */
  readonly might_sleep?: boolean;
  /** CONFIG_DEBUG_KMEMLEAK (default off): every object still allocated when the
   * schedule ends is a `memory-leak` (kmemleak.ts); off, only those marked with
   * kmemleak_must_free() are. */
  readonly kmemleak?: boolean;
  /** Fault injection: allocations that may not sleep (GFP_ATOMIC, GFP_NOWAIT) fail. */
  readonly gfp_atomic_fails?: boolean;
}

/** The checks a scenario may switch off by name (`checks` of defineScenario). */
export const KERNEL_CHECKS = ['prove_locking', 'held_at_exit', 'might_sleep', 'kmemleak'] as const;

export interface SpawnOptions {
  readonly cpu?: number;
}

type body = () => Promise<unknown> | unknown;

/** The kernel of one schedule, kept in run.ext. */
export class Kernel {
  prove_locking: boolean;
  held_at_exit: boolean;
  might_sleep: boolean;
  kmemleak: boolean;
  gfp_atomic_fails: boolean;
  readonly lockdep: lockdep;
  /** The run, when it is a stress run: locks are then real locks (lock_gate.ts). */
  readonly stress: StressRun | null;
  /** This schedule's number within the exploration, from 1. */
  readonly schedule_no: number;
  readonly tasks: task_struct[] = [];
  private readonly on_cpu = new Map<number, task_struct[]>();
  /** Per CPU, the task that may not be preempted now (spinlock held, preemption,
   * bottom halves or interrupts off). By construction there is at most one. */
  private readonly pinned: (SimThread | undefined)[] = [];
  /** unique()'s counts: by name_id(), else (no id) by name. */
  private readonly name_counts: number[] = [];
  /** Made only when a name has no id (fresh set-up, or past name_id()'s cap). */
  private names: Map<string, number> | null = null;
  /** The stack of the call a splat is raised at (splat_at), for its call trace. */
  private splat_stack: Error | null = null;

  constructor(
    readonly run: Run,
    opts: KernelOptions = {},
  ) {
    if (run.ext instanceof Kernel) throw new Error('this run already has a Kernel: use Kernel.of(run)');
    // The options given here win over the scenario's `checks`; both default on.
    const checks = checksOf(run);
    this.prove_locking = opts.prove_locking ?? checks.prove_locking ?? true;
    this.held_at_exit = opts.held_at_exit ?? checks.held_at_exit ?? true;
    this.might_sleep = opts.might_sleep ?? checks.might_sleep ?? true;
    this.kmemleak = opts.kmemleak ?? checks.kmemleak ?? false;
    this.gfp_atomic_fails = opts.gfp_atomic_fails ?? false;
    run.ext = this;
    this.stress = run instanceof StressRun ? run : null;
    this.schedule_no = ++lockdep_graph_of(run).schedules;
    this.lockdep = new lockdep(this);
    run.constrain((t) => t.level !== TASK_LEVEL || this.may_run(t));
    run.onThreadExit((t) => this.exit(t));
    run.onReport(kernel_reporter(this));
  }

  /** The kernel of `run`, created on first use. */
  static of(run: Run): Kernel {
    return run.ext instanceof Kernel ? run.ext : new Kernel(run);
  }

  /** The task_struct of a thread; threads spawned straight on the run get one here. */
  task(t: SimThread): task_struct {
    if (t.local instanceof task_struct) return t.local;
    const task = new task_struct(this, t);
    t.local = task;
    this.tasks.push(task);
    let list = this.on_cpu.get(t.cpu);
    if (list === undefined) this.on_cpu.set(t.cpu, (list = []));
    list.push(task);
    return task;
  }

  // kthread_run() in include/linux/kthread.h: a task, by default on its own CPU.
  kthread(name: string, fn: body, opts: SpawnOptions = {}): task_struct {
    return this.spawn(name, fn, TASK_LEVEL, opts.cpu);
  }

  // raise_softirq() in kernel/softirq.c: `fn` runs in softirq context on `cpu`,
  // interrupting the task there whenever it has bottom halves and interrupts on.
  raise_softirq(name: string, fn: body, opts: { readonly cpu: number }): task_struct {
    return this.spawn(name, fn, SOFTIRQ_LEVEL, opts.cpu, {
      kind: 'softirq',
      footprint: this.cpu_footprint(opts.cpu),
      waitsOn: () => this.softirq_masked_by(opts.cpu),
    });
  }

  // generic_handle_irq() in kernel/irq/irqdesc.c: `fn` runs in hardirq context on
  // `cpu`, with interrupts off, whenever interrupts are enabled there.
  raise_hardirq(name: string, fn: body, opts: { readonly cpu: number }): task_struct {
    return this.spawn(name, fn, HARDIRQ_LEVEL, opts.cpu, {
      kind: 'hardirq',
      footprint: this.cpu_footprint(opts.cpu),
      waitsOn: () => this.hardirq_masked_by(opts.cpu),
    });
  }

  /** Spawns a thread of the given level with its task_struct in place. */
  spawn(name: string, fn: body, level: number, cpu: number | undefined, start?: Op): task_struct {
    const opts = start === undefined ? { cpu, level } : { cpu, level, start };
    // fn itself, not a wrapper: an exception's stack then ends in the scenario's code.
    const t = this.run.spawn(name, fn, opts);
    return this.task(t);
  }

  /** A deterministic name unique in this run: `base`, then `base#2`, ... */
  unique(base: string): string {
    const id = name_id(base);
    let n;
    if (id < 0) {
      const names = (this.names ??= new Map());
      n = (names.get(base) ?? 0) + 1;
      names.set(base, n);
    } else {
      const counts = this.name_counts;
      while (counts.length <= id) counts.push(0);
      n = ++counts[id]!;
    }
    return n === 1 ? base : `${base}#${n}`;
  }

  /** Footprint of an operation that changes what may interrupt `cpu`. */
  cpu_footprint(cpu: number): Footprint[] {
    return [{ key: cpuKey(cpu), access: 'write' }];
  }

  /** Tasks below softirq level on `cpu` that keep a softirq from starting there. */
  softirq_masked_by(cpu: number): string[] | null {
    let by: string[] | null = null;
    for (const u of this.on_cpu.get(cpu) ?? []) {
      if (u.level >= SOFTIRQ_LEVEL || u.thread.state === 'done') continue;
      if ((u.preempt_count & SOFTIRQ_MASK) !== 0 || u.irqs_off) (by ??= []).push(u.comm);
    }
    return by;
  }

  /** Contexts on `cpu` with interrupts disabled. */
  hardirq_masked_by(cpu: number): string[] | null {
    let by: string[] | null = null;
    for (const u of this.on_cpu.get(cpu) ?? []) {
      if (u.level >= HARDIRQ_LEVEL || u.thread.state === 'done') continue;
      if (u.irqs_off) (by ??= []).push(u.comm);
    }
    return by;
  }

  /** Called by task_struct whenever its preempt count or irq state changes. */
  preempt_changed(t: task_struct): void {
    // Who may run on the CPU, and which handlers may start there, depend on this.
    this.run.touch({ key: cpuKey(t.cpu), access: 'write' });
    if (t.level !== TASK_LEVEL) return;
    if (!t.preemptible) this.pinned[t.cpu] = t.thread;
    else if (this.pinned[t.cpu] === t.thread) this.pinned[t.cpu] = undefined;
  }

  /** The task that keeps `cpu` (it may not be preempted there now), if any. */
  pinned_by(cpu: number): task_struct | null {
    const t = this.pinned[cpu];
    return t !== undefined && t.local instanceof task_struct ? t.local : null;
  }

  /** The stack splat_at() saved for the report being raised, once. */
  take_splat_stack(): Error | null {
    const e = this.splat_stack;
    this.splat_stack = null;
    return e;
  }

  /** A task may run unless another task on its CPU cannot be preempted. */
  private may_run(t: SimThread): boolean {
    const p = this.pinned[t.cpu];
    return p === undefined || p === t;
  }

  /** Raises a finding at the operation `op`: the task performs it (without waiting,
   * as lockdep reports before a task spins) and the run stops there. */
  async splat_at(op: Op, f: FindingInput): Promise<never> {
    // Where the call was made: after the point, the stack no longer says.
    this.splat_stack = captureStack();
    await this.run.point(op.waitsOn === undefined ? op : { kind: op.kind, obj: op.obj, footprint: op.footprint });
    this.run.result(f.kind);
    this.run.report(f, true);
    await this.run.point({ kind: 'BUG', footprint: [] });
    throw new Error('unreachable: the run stops at a finding');
  }

  /** Raises a finding from a check that cannot wait (e.g. inside kmalloc()). */
  report(f: FindingInput): void {
    this.run.report(f);
  }

  /** lockdep_sys_exit() and do_exit(): a task must leave with no lock held and
   * preemption and interrupts as it found them. */
  private exit(th: SimThread): void {
    if (!(th.local instanceof task_struct)) return;
    const t = th.local;
    if (this.pinned[t.cpu] === th) this.pinned[t.cpu] = undefined;
    if (t.held_locks.length > 0) {
      // The preempt count a held spinlock leaves is part of the same report.
      if (!this.held_at_exit) return;
      const names = t.held_locks.map((h) => h.instance.name);
      this.report({
        kind: 'lock-held-at-exit',
        message: `${t.comm} exits holding ${names.join(', ')}`,
        report: held_at_exit(t),
        details: { thread: t.comm, locks: names },
      });
    } else if (t.preempt_count !== t.base_preempt_count || t.irqs_off !== t.base_irqs_off) {
      const notes = [];
      if (t.preempt_count !== t.base_preempt_count) notes.push(`note: ${t.comm}[${t.pid}] exited with preempt_count ${t.preempt_count - t.base_preempt_count}`);
      if (t.irqs_off !== t.base_irqs_off) notes.push(`note: ${t.comm}[${t.pid}] exited with irqs disabled`);
      this.report({ kind: 'preempt-leak', message: notes.join('; '), report: notes.join('\n'), details: { thread: t.comm } });
    }
  }
}
