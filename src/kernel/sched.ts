// Voluntary rescheduling (include/linux/sched.h, kernel/sched/core.c). With many
// possible reasons to reschedule, the model yields a lock only when another task
// waits for it: every interleaving in which someone wants the lock is explored.
// The waiter count is read through lock_base.contended(), which records the read
// (a waiter registers in the step before its acquire point).
import { __might_resched } from './checks.ts';
import { PREEMPT_OFFSET, current } from './task.ts';
import { read_lock, read_unlock, write_lock, write_unlock, type rwlock_t } from './rwlock.ts';
import { spin_lock, spin_unlock, type spinlock_t } from './spinlock.ts';

const FILE = 'kernel/sched/core.c';

// cond_resched() in include/linux/sched.h: a point where another task may run.
export async function cond_resched(): Promise<void> {
  const t = current();
  const op = { kind: 'cond_resched', footprint: [] };
  const f = __might_resched(t, FILE, 'cond_resched()');
  if (f !== null) return t.k.splat_at(op, f);
  await t.k.run.point(op);
}

/** The shared shape of __cond_resched_lock() and its rwlock twins: only the lock
 * being dropped may be held (PREEMPT_LOCK_OFFSET). */
async function cond_resched_drop<L extends { readonly name: string; contended(): boolean }>(
  what: string,
  l: L,
  unlock: (l: L) => Promise<void>,
  lock: (l: L) => Promise<void>,
): Promise<boolean> {
  const t = current();
  const f = __might_resched(t, FILE, `${what}(${l.name})`, PREEMPT_OFFSET);
  if (f !== null) {
    t.k.report(f);
    return false;
  }
  if (!l.contended()) return false;
  await unlock(l);
  await cond_resched();
  await lock(l);
  return true;
}

// __cond_resched_lock() in kernel/sched/core.c: true when it dropped the lock.
export const cond_resched_lock = (l: spinlock_t): Promise<boolean> => cond_resched_drop('cond_resched_lock', l, spin_unlock, spin_lock);

// __cond_resched_rwlock_read() in kernel/sched/core.c
export const cond_resched_rwlock_read = (l: rwlock_t): Promise<boolean> => cond_resched_drop('cond_resched_rwlock_read', l, read_unlock, read_lock);

// __cond_resched_rwlock_write() in kernel/sched/core.c
export const cond_resched_rwlock_write = (l: rwlock_t): Promise<boolean> => cond_resched_drop('cond_resched_rwlock_write', l, write_unlock, write_lock);
