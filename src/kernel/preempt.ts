// Preemption, bottom-half and interrupt masking of the running context. These are
// CPU-local, so they are not scheduling points: the scheduler sees the new state
// from the next point on (a softirq may then run, or another task on this CPU).
import type { FindingInput } from '../engine/index.ts';
import { warning } from './checks.ts';
import {
  current,
  HARDIRQ_MASK,
  PREEMPT_MASK,
  PREEMPT_OFFSET,
  SOFTIRQ_DISABLE_OFFSET,
  SOFTIRQ_MASK,
  SOFTIRQ_OFFSET,
  type task_struct,
} from './task.ts';

/** unsigned long flags, as local_irq_save() returns them: X86_EFLAGS_IF when
 * interrupts were on. */
export type irqflags_t = number;
export const X86_EFLAGS_IF = 0x200;

/** preempt_count_sub() with CONFIG_DEBUG_PREEMPT's underflow checks. */
export function __preempt_count_sub(t: task_struct, n: number): void {
  const low = n & PREEMPT_MASK;
  if (n > t.preempt_count || (low !== 0 && (t.preempt_count & PREEMPT_MASK) < low)) {
    t.k.report(warning(t, 'warn-on', 'kernel/sched/core.c preempt_count_sub', `preempt count underflow in ${t.comm}`, ['DEBUG_LOCKS_WARN_ON(val > preempt_count())']));
    return;
  }
  t.preempt_count_sub(n);
}

/** __local_bh_enable_ip(): when bottom halves come back on, lockdep marks the held
 * locks softirq-unsafe. */
export function __local_bh_enable_ip(t: task_struct, cnt: number): void {
  if ((t.preempt_count & SOFTIRQ_MASK) < (cnt & SOFTIRQ_MASK)) {
    t.k.report(warning(t, 'warn-on', 'kernel/softirq.c __local_bh_enable_ip', `local_bh_enable() without local_bh_disable() in ${t.comm}`, ['DEBUG_LOCKS_WARN_ON(val > preempt_count())']));
    return;
  }
  const on = (t.preempt_count & SOFTIRQ_MASK) === (cnt & SOFTIRQ_MASK);
  __preempt_count_sub(t, cnt);
  if (on) report(t, t.k.lockdep.softirqs_on(t));
}

/** raw_local_irq_restore() plus lockdep_hardirqs_on() when interrupts come back on. */
export function __local_irq_restore(t: task_struct, flags: irqflags_t): void {
  const off = (flags & X86_EFLAGS_IF) === 0;
  const was_off = t.irqs_off;
  t.set_irqs_off(off);
  if (was_off && !off) report(t, t.k.lockdep.hardirqs_on(t));
}

function report(t: task_struct, f: FindingInput | null): void {
  if (f !== null) t.k.report(f);
}

/** local_save_flags(). */
export function __save_flags(t: task_struct): irqflags_t {
  return t.irqs_off ? 0 : X86_EFLAGS_IF;
}

// preempt_disable() in include/linux/preempt.h
export function preempt_disable(): void {
  current().preempt_count_add(PREEMPT_OFFSET, 'preempt_disable()');
}

// preempt_enable() in include/linux/preempt.h
export function preempt_enable(): void {
  __preempt_count_sub(current(), PREEMPT_OFFSET);
}

// local_bh_disable() in include/linux/bottom_half.h
export function local_bh_disable(): void {
  current().preempt_count_add(SOFTIRQ_DISABLE_OFFSET, 'local_bh_disable()');
}

// local_bh_enable() in include/linux/bottom_half.h
export function local_bh_enable(): void {
  __local_bh_enable_ip(current(), SOFTIRQ_DISABLE_OFFSET);
}

// local_irq_save() in include/linux/irqflags.h
export function local_irq_save(): irqflags_t {
  const t = current();
  const flags = __save_flags(t);
  t.set_irqs_off(true);
  return flags;
}

// local_irq_restore() in include/linux/irqflags.h
export function local_irq_restore(flags: irqflags_t): void {
  __local_irq_restore(current(), flags);
}

// local_irq_disable() in include/linux/irqflags.h
export function local_irq_disable(): void {
  current().set_irqs_off(true);
}

// local_irq_enable() in include/linux/irqflags.h
export function local_irq_enable(): void {
  __local_irq_restore(current(), X86_EFLAGS_IF);
}

// irqs_disabled() in include/linux/irqflags.h
export function irqs_disabled(): boolean {
  return current().irqs_off;
}

// in_atomic() in include/linux/preempt.h
export function in_atomic(): boolean {
  return current().preempt_count !== 0;
}

// preemptible() in include/linux/preempt.h
export function preemptible(): boolean {
  return current().preemptible;
}

// in_softirq() in include/linux/preempt.h: serving a softirq or bottom halves off.
export function in_softirq(): boolean {
  return (current().preempt_count & SOFTIRQ_MASK) !== 0;
}

// in_serving_softirq() in include/linux/preempt.h
export function in_serving_softirq(): boolean {
  return (current().preempt_count & SOFTIRQ_OFFSET) !== 0;
}

// in_hardirq() in include/linux/preempt.h
export function in_hardirq(): boolean {
  return (current().preempt_count & HARDIRQ_MASK) !== 0;
}

// in_irq(): the older name of in_hardirq().
export const in_irq = in_hardirq;

// in_interrupt() in include/linux/preempt.h
export function in_interrupt(): boolean {
  return (current().preempt_count & (HARDIRQ_MASK | SOFTIRQ_MASK)) !== 0;
}

// in_task() in include/linux/preempt.h
export function in_task(): boolean {
  return (current().preempt_count & (HARDIRQ_MASK | SOFTIRQ_OFFSET)) === 0;
}
