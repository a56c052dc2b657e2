// struct mutex (include/linux/mutex.h): exclusive, sleeping. `new mutex(k, name)` is
// zeroed memory and needs mutex_init(); DEFINE_MUTEX() is initialised statically.
import { warn_lines } from './lockdep/reports.ts';
import type { Kernel } from './kernel.ts';
import { __lock_acquire, __lock_release, __lock_trylock, LD_WAIT_SLEEP, lock_base, type lock_op } from './lock.ts';
import type { task_struct } from './task.ts';

// struct mutex in include/linux/mutex_types.h
export class mutex extends lock_base {
  readonly wait_type_inner = LD_WAIT_SLEEP;
  protected readonly init_fn = 'mutex_init';

  // __mutex_lock_common() in kernel/locking/mutex.c, CONFIG_DEBUG_MUTEXES
  protected bad_magic(t: task_struct): string[] {
    return warn_lines(t, 'kernel/locking/mutex.c __mutex_lock_common', ['DEBUG_LOCKS_WARN_ON(lock->magic != lock)']);
  }
}

// mutex_init() in include/linux/mutex.h
export function mutex_init(m: mutex): void {
  m.initialized = true;
}

// DEFINE_MUTEX() in include/linux/mutex.h
export function DEFINE_MUTEX(k: Kernel, name: string): mutex {
  const m = new mutex(k, name);
  mutex_init(m);
  return m;
}

const LOCK: lock_op = { op: 'mutex_lock', read: 0, sleeps: 'kernel/locking/mutex.c' };
const UNLOCK: lock_op = { op: 'mutex_unlock', read: 0, sleeps: 'kernel/locking/mutex.c' };
const TRYLOCK: lock_op = { op: 'mutex_trylock', read: 0, sleeps: 'kernel/locking/mutex.c' };

// mutex_lock() in kernel/locking/mutex.c
export const mutex_lock = (m: mutex): Promise<void> => __lock_acquire(m, LOCK);
// mutex_unlock() in kernel/locking/mutex.c
export const mutex_unlock = (m: mutex): Promise<void> => __lock_release(m, UNLOCK);
// mutex_trylock() in kernel/locking/mutex.c: returns true when it took the lock.
export const mutex_trylock = (m: mutex): Promise<boolean> => __lock_trylock(m, TRYLOCK);
// mutex_is_locked() in include/linux/mutex.h
export const mutex_is_locked = (m: mutex): boolean => m.is_locked;
