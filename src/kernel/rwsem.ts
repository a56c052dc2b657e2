// struct rw_semaphore (include/linux/rwsem.h): many readers or one writer, sleeping.
// Readers are not recursive for lockdep (a waiting writer would block the second).
import { warn_lines } from './lockdep/reports.ts';
import type { Kernel } from './kernel.ts';
import { __lock_acquire, __lock_release, __lock_trylock, LD_WAIT_SLEEP, lock_base, type lock_op } from './lock.ts';
import type { task_struct } from './task.ts';

// struct rw_semaphore in include/linux/rwsem.h
export class rw_semaphore extends lock_base {
  readonly wait_type_inner = LD_WAIT_SLEEP;
  protected readonly init_fn = 'init_rwsem';

  // DEBUG_RWSEMS_WARN_ON() in kernel/locking/rwsem.c
  protected bad_magic(t: task_struct): string[] {
    return warn_lines(t, 'kernel/locking/rwsem.c down_read', [`DEBUG_RWSEMS_WARN_ON(sem->magic != sem): count = 0x0, magic = 0x0, owner = 0x0, curr ${t.label}, list empty`]);
  }
}

// init_rwsem() in include/linux/rwsem.h
export function init_rwsem(s: rw_semaphore): void {
  s.initialized = true;
}

// DECLARE_RWSEM() in include/linux/rwsem.h
export function DECLARE_RWSEM(k: Kernel, name: string): rw_semaphore {
  const s = new rw_semaphore(k, name);
  init_rwsem(s);
  return s;
}

const FILE = 'kernel/locking/rwsem.c';
const DOWN_READ: lock_op = { op: 'down_read', read: 1, sleeps: FILE };
const UP_READ: lock_op = { op: 'up_read', read: 1, sleeps: FILE };
const DOWN_WRITE: lock_op = { op: 'down_write', read: 0, sleeps: FILE };
const UP_WRITE: lock_op = { op: 'up_write', read: 0, sleeps: FILE };
const DOWN_READ_TRYLOCK: lock_op = { op: 'down_read_trylock', read: 1, sleeps: FILE };
const DOWN_WRITE_TRYLOCK: lock_op = { op: 'down_write_trylock', read: 0, sleeps: FILE };

// down_read() in kernel/locking/rwsem.c
export const down_read = (s: rw_semaphore): Promise<void> => __lock_acquire(s, DOWN_READ);
// up_read() in kernel/locking/rwsem.c
export const up_read = (s: rw_semaphore): Promise<void> => __lock_release(s, UP_READ);
// down_write() in kernel/locking/rwsem.c
export const down_write = (s: rw_semaphore): Promise<void> => __lock_acquire(s, DOWN_WRITE);
// up_write() in kernel/locking/rwsem.c
export const up_write = (s: rw_semaphore): Promise<void> => __lock_release(s, UP_WRITE);
// down_read_trylock() in kernel/locking/rwsem.c
export const down_read_trylock = (s: rw_semaphore): Promise<boolean> => __lock_trylock(s, DOWN_READ_TRYLOCK);
// down_write_trylock() in kernel/locking/rwsem.c
export const down_write_trylock = (s: rw_semaphore): Promise<boolean> => __lock_trylock(s, DOWN_WRITE_TRYLOCK);
// rwsem_is_locked() in include/linux/rwsem.h
export const rwsem_is_locked = (s: rw_semaphore): boolean => s.is_locked;
