// The per-task state the kernel keeps in task_struct and the per-CPU preempt count,
// reduced to what the checks read. Each simulated thread carries one in `local`.
import { Run, type SimThread } from '../engine/index.ts';
import type { Kernel } from './kernel.ts';
import type { kthread } from './kthread.ts';
import type { held_lock } from './lockdep/lockdep.ts';
import type { sleeper } from './sleep.ts';

// preempt_count layout, include/linux/preempt.h.
export const PREEMPT_OFFSET = 0x1;
export const PREEMPT_MASK = 0xff;
export const SOFTIRQ_OFFSET = 0x100;
export const SOFTIRQ_DISABLE_OFFSET = 0x200;
export const SOFTIRQ_MASK = 0xff00;
export const HARDIRQ_OFFSET = 0x10000;
export const HARDIRQ_MASK = 0xf0000;
export const SOFTIRQ_SHIFT = 8;
export const HARDIRQ_SHIFT = 16;

/** Thread levels, as the engine orders them. */
export const TASK_LEVEL = 0;
export const SOFTIRQ_LEVEL = 1;
export const HARDIRQ_LEVEL = 2;

/** struct task_struct, reduced: identity, preemption and irq state, held locks, RCU. */
export class task_struct {
  readonly comm: string;
  readonly pid: number;
  readonly cpu: number;
  /** preempt_count() of this context: PREEMPT_MASK | SOFTIRQ_MASK | HARDIRQ_MASK. */
  preempt_count: number;
  /** irqs_disabled(). Per CPU in the kernel; here the running context owns it. */
  irqs_off: boolean;
  /** What preempt_count() and irqs_disabled() are at entry, to spot leaks at exit. */
  readonly base_preempt_count: number;
  readonly base_irqs_off: boolean;
  /** Where preemption was last disabled from zero (CONFIG_DEBUG_PREEMPT). */
  preempt_disable_ip: string | null = null;
  /** current->rcu_read_lock_nesting (CONFIG_PREEMPT_RCU). */
  rcu_read_lock_nesting = 0;
  /** Outermost read-side sections entered so far: a grace period waits only for
   * the section a reader was in when it started, not for a later one. */
  rcu_sections = 0;
  /** current->held_locks. */
  readonly held_locks: held_lock[] = [];
  /** The sleep a wake_up_process() would end (the task's state in the kernel). Kept
   * on the task, not in a WeakMap keyed by it: see src/engine/run.ts, Run.local(). */
  sleeper: sleeper | null = null;
  /** p->worker_private: the struct kthread of a task kthread_create() made. */
  worker_private: kthread | null = null;

  constructor(
    readonly k: Kernel,
    readonly thread: SimThread,
  ) {
    this.comm = thread.name;
    this.pid = 1000 + thread.id;
    this.cpu = thread.cpu;
    // A handler runs with its context's offset: in_serving_softirq(), in_hardirq()
    // (hardirqs run with interrupts disabled).
    this.preempt_count = thread.level >= HARDIRQ_LEVEL ? HARDIRQ_OFFSET : thread.level === SOFTIRQ_LEVEL ? SOFTIRQ_OFFSET : 0;
    this.irqs_off = thread.level >= HARDIRQ_LEVEL;
    this.base_preempt_count = this.preempt_count;
    this.base_irqs_off = this.irqs_off;
  }

  get level(): number {
    return this.thread.level;
  }

  /** current->comm. */
  get name(): string {
    return this.comm;
  }

  /** softirq_count(): serving a softirq (SOFTIRQ_OFFSET) plus bottom-half disables. */
  get softirq_count(): number {
    return this.preempt_count & SOFTIRQ_MASK;
  }

  /** irqs_disabled(). */
  get irqs_disabled(): boolean {
    return this.irqs_off;
  }

  /** in_softirq(): serving a softirq or bottom halves off. */
  get in_softirq(): boolean {
    return this.softirq_count !== 0;
  }

  /** in_irq() / in_hardirq(). */
  get in_irq(): boolean {
    return (this.preempt_count & HARDIRQ_MASK) !== 0;
  }

  /** preemptible(): another task on this CPU may run. */
  get preemptible(): boolean {
    return this.preempt_count === 0 && !this.irqs_off;
  }

  /** lockdep's curr->softirqs_enabled: not in softirq and bottom halves on. */
  get softirqs_enabled(): boolean {
    return this.softirq_count === 0;
  }

  /** `comm/pid`, as lockdep prints a task. */
  get label(): string {
    return `${this.comm}/${this.pid}`;
  }

  /** preempt_count_add(): the kernel and the scheduler see the change at once. */
  preempt_count_add(n: number, ip: string): void {
    if (this.preempt_count === 0) this.preempt_disable_ip = ip;
    this.preempt_count += n;
    this.k.preempt_changed(this);
  }

  /** preempt_count_sub(). */
  preempt_count_sub(n: number): void {
    this.preempt_count -= n;
    this.k.preempt_changed(this);
  }

  /** raw_local_irq_disable()/enable() on this context. */
  set_irqs_off(off: boolean): void {
    this.irqs_off = off;
    this.k.preempt_changed(this);
  }
}

/** `current`: the task running now. */
export function current(): task_struct {
  const run = Run.live;
  const t = run?.current;
  if (run === null || t === null || t === undefined) throw new Error('current: no simulated thread is running');
  const local = t.local;
  if (local instanceof task_struct) return local;
  const k = run.ext as Kernel | undefined;
  if (k === undefined) throw new Error('current: this run has no Kernel (create one with new Kernel(run) in setup)');
  return k.task(t);
}

/** `current`, or null outside any simulated thread (e.g. in setup). */
export function current_or_null(): task_struct | null {
  const run = Run.live;
  return run === null || run.current === null ? null : current();
}
