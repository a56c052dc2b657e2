// The kernel's debugging checks: might_sleep() (CONFIG_DEBUG_ATOMIC_SLEEP), WARN_ON()
// and KVM_BUG_ON(). Each raises a finding in the kernel's own words.
import { Run, type FindingInput } from '../engine/index.ts';
import { held_locks, sleep_bug, warn_lines } from './lockdep/reports.ts';
import type { KernelKind } from './kinds.ts';
import { current, current_or_null, type task_struct } from './task.ts';

/** __might_resched(): null when `t` may sleep here, else the splat. `file` is where
 * the kernel's might_sleep() sits, `what` the call that may sleep, `offset` the
 * preempt count the caller is allowed (one held spinlock for cond_resched_lock()). */
export function __might_resched(t: task_struct, file: string, what: string, offset = 0): FindingInput | null {
  if (!t.k.might_sleep) return null;
  if (t.preempt_count === offset && !t.irqs_off && t.rcu_read_lock_nesting === 0) return null;
  const locks = t.held_locks.filter((h) => h.instance.name !== 'rcu_read_lock').map((h) => h.instance.name);
  const why = locks.length > 0 ? `holding ${locks.join(', ')}` : t.rcu_read_lock_nesting > 0 ? 'inside rcu_read_lock()' : 'in atomic context';
  return {
    kind: 'sleep-in-atomic',
    message: `sleeping function called from invalid context: ${what} in ${t.comm} ${why}`,
    report: sleep_bug(t, file, what, offset),
    // The sleeping call, which the step need not be (a kmalloc() after a spin_lock()).
    call: what,
    details: { thread: t.comm, call: what, locks, preempt_count: t.preempt_count, rcu_nesting: t.rcu_read_lock_nesting },
  };
}

/** __might_sleep() in kernel/sched/core.c. */
export function __might_sleep(t: task_struct, file: string, what: string): FindingInput | null {
  return __might_resched(t, file, what, 0);
}

// might_sleep() in include/linux/kernel.h
export function might_sleep(what = 'might_sleep()'): void {
  const t = current();
  const f = __might_sleep(t, what, what);
  if (f !== null) t.k.report(f);
}

/** A WARN-class finding: `message` are the lines the WARN prints before `WARNING:`. */
export function warning(t: task_struct | null, kind: KernelKind, where: string, summary: string, message: readonly string[] = [], extra: readonly string[] = []): FindingInput {
  return {
    kind,
    message: summary,
    report: [...warn_lines(t, where, message), ...extra].join('\n'),
    details: t === null ? { where } : { where, thread: t.comm, cpu: t.cpu },
  };
}

// WARN_ON() in include/asm-generic/bug.h
export function WARN_ON(cond: unknown, what = 'WARN_ON()'): boolean {
  if (!cond) return false;
  const t = current_or_null();
  const f = warning(t, 'warn-on', what, `WARN_ON: ${what}${t === null ? '' : ` in ${t.comm}`}`, [], t === null ? [] : held_locks(t));
  raise(t, f);
  return true;
}

// WARN_ON_ONCE() in include/asm-generic/bug.h: the run stops at the first anyway.
export const WARN_ON_ONCE = WARN_ON;

// KVM_BUG_ON() in include/linux/kvm_host.h: WARNs once per VM and marks it bugged.
export function KVM_BUG_ON(cond: unknown, kvm: object, what = 'KVM_BUG_ON()'): boolean {
  if (!cond) return false;
  const vm = kvm as { vm_bugged?: unknown };
  if (vm.vm_bugged === true) return true;
  const t = current_or_null();
  raise(t, warning(t, 'kvm-bug-on', what, `KVM_BUG_ON: ${what}${t === null ? '' : ` in ${t.comm}`}; VM marked bugged`));
  if (typeof vm.vm_bugged === 'boolean') vm.vm_bugged = true;
  return true;
}

function raise(t: task_struct | null, f: FindingInput): void {
  const run = t?.k.run ?? Run.live;
  if (run === null) throw new Error(`${f.message} (outside any run)`);
  run.report(f);
}
