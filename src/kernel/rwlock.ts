// rwlock_t (include/linux/rwlock.h): many readers or one writer, spinning; holding
// it either way is atomic context. Readers are recursive, as lockdep treats them.
import type { Kernel } from './kernel.ts';
import { __lock_acquire, __lock_release, __lock_trylock, LD_WAIT_CONFIG, lock_base, type lock_op } from './lock.ts';
import type { task_struct } from './task.ts';

// rwlock_t in include/linux/rwlock_types.h
export class rwlock_t extends lock_base {
  readonly wait_type_inner = LD_WAIT_CONFIG;
  protected readonly init_fn = 'rwlock_init';

  // rwlock_bug() in kernel/locking/spinlock_debug.c
  protected bad_magic(t: task_struct): string[] {
    return [`BUG: rwlock bad magic on CPU#${t.cpu}, ${t.label}, ${this.name}`];
  }
}

// rwlock_init() in include/linux/rwlock.h
export function rwlock_init(l: rwlock_t): void {
  l.initialized = true;
}

// DEFINE_RWLOCK() in include/linux/rwlock_types.h
export function DEFINE_RWLOCK(k: Kernel, name: string): rwlock_t {
  const l = new rwlock_t(k, name);
  rwlock_init(l);
  return l;
}

const READ_LOCK: lock_op = { op: 'read_lock', read: 2 };
const READ_UNLOCK: lock_op = { op: 'read_unlock', read: 2 };
const WRITE_LOCK: lock_op = { op: 'write_lock', read: 0 };
const WRITE_UNLOCK: lock_op = { op: 'write_unlock', read: 0 };
const READ_LOCK_BH: lock_op = { op: 'read_lock_bh', read: 2, bh: true };
const READ_UNLOCK_BH: lock_op = { op: 'read_unlock_bh', read: 2, bh: true };
const WRITE_LOCK_BH: lock_op = { op: 'write_lock_bh', read: 0, bh: true };
const WRITE_UNLOCK_BH: lock_op = { op: 'write_unlock_bh', read: 0, bh: true };
const READ_TRYLOCK: lock_op = { op: 'read_trylock', read: 2 };
const WRITE_TRYLOCK: lock_op = { op: 'write_trylock', read: 0 };

// read_lock() in include/linux/rwlock.h
export const read_lock = (l: rwlock_t): Promise<void> => __lock_acquire(l, READ_LOCK);
// read_unlock() in include/linux/rwlock.h
export const read_unlock = (l: rwlock_t): Promise<void> => __lock_release(l, READ_UNLOCK);
// write_lock() in include/linux/rwlock.h
export const write_lock = (l: rwlock_t): Promise<void> => __lock_acquire(l, WRITE_LOCK);
// write_unlock() in include/linux/rwlock.h
export const write_unlock = (l: rwlock_t): Promise<void> => __lock_release(l, WRITE_UNLOCK);
// read_lock_bh() in include/linux/rwlock.h
export const read_lock_bh = (l: rwlock_t): Promise<void> => __lock_acquire(l, READ_LOCK_BH);
// read_unlock_bh() in include/linux/rwlock.h
export const read_unlock_bh = (l: rwlock_t): Promise<void> => __lock_release(l, READ_UNLOCK_BH);
// write_lock_bh() in include/linux/rwlock.h
export const write_lock_bh = (l: rwlock_t): Promise<void> => __lock_acquire(l, WRITE_LOCK_BH);
// write_unlock_bh() in include/linux/rwlock.h
export const write_unlock_bh = (l: rwlock_t): Promise<void> => __lock_release(l, WRITE_UNLOCK_BH);
// read_trylock() in include/linux/rwlock.h
export const read_trylock = (l: rwlock_t): Promise<boolean> => __lock_trylock(l, READ_TRYLOCK);
// write_trylock() in include/linux/rwlock.h
export const write_trylock = (l: rwlock_t): Promise<boolean> => __lock_trylock(l, WRITE_TRYLOCK);

// rwlock_is_contended() in include/linux/rwlock.h
export const rwlock_is_contended = (l: rwlock_t): boolean => l.contended();
