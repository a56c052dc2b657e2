// spinlock_t (include/linux/spinlock.h): exclusive, spinning; holding it is atomic
// context. `new spinlock_t(k, name)` is zeroed memory and needs spin_lock_init().
import type { Kernel } from './kernel.ts';
import { __lock_acquire, __lock_release, __lock_trylock, LD_WAIT_CONFIG, lock_base, type lock_op } from './lock.ts';
import { __save_flags, type irqflags_t } from './preempt.ts';
import { current, type task_struct } from './task.ts';

// spinlock_t in include/linux/spinlock_types.h
export class spinlock_t extends lock_base {
  readonly wait_type_inner = LD_WAIT_CONFIG;
  protected readonly init_fn = 'spin_lock_init';

  // spin_bug() in kernel/locking/spinlock_debug.c
  protected bad_magic(t: task_struct): string[] {
    return [`BUG: spinlock bad magic on CPU#${t.cpu}, ${t.label}`, ` lock: ${this.name}, .magic: 00000000, .owner: <none>/-1, .owner_cpu: 0`];
  }
}

// spin_lock_init() in include/linux/spinlock.h
export function spin_lock_init(l: spinlock_t): void {
  l.initialized = true;
}

// DEFINE_SPINLOCK() in include/linux/spinlock_types.h
export function DEFINE_SPINLOCK(k: Kernel, name: string): spinlock_t {
  const l = new spinlock_t(k, name);
  spin_lock_init(l);
  return l;
}

const LOCK: lock_op = { op: 'spin_lock', read: 0 };
const LOCK_BH: lock_op = { op: 'spin_lock_bh', read: 0, bh: true };
const LOCK_IRQ: lock_op = { op: 'spin_lock_irq', read: 0, irq: true };
const LOCK_IRQSAVE: lock_op = { op: 'spin_lock_irqsave', read: 0, irq: true };
const UNLOCK: lock_op = { op: 'spin_unlock', read: 0 };
const UNLOCK_BH: lock_op = { op: 'spin_unlock_bh', read: 0, bh: true };
const UNLOCK_IRQ: lock_op = { op: 'spin_unlock_irq', read: 0, irq: true };
const UNLOCK_IRQRESTORE: lock_op = { op: 'spin_unlock_irqrestore', read: 0, irq: true };
const TRYLOCK: lock_op = { op: 'spin_trylock', read: 0 };

// spin_lock() in include/linux/spinlock.h
export const spin_lock = (l: spinlock_t): Promise<void> => __lock_acquire(l, LOCK);
// spin_unlock() in include/linux/spinlock.h
export const spin_unlock = (l: spinlock_t): Promise<void> => __lock_release(l, UNLOCK);
// spin_lock_bh() in include/linux/spinlock.h
export const spin_lock_bh = (l: spinlock_t): Promise<void> => __lock_acquire(l, LOCK_BH);
// spin_unlock_bh() in include/linux/spinlock.h
export const spin_unlock_bh = (l: spinlock_t): Promise<void> => __lock_release(l, UNLOCK_BH);
// spin_lock_irq() in include/linux/spinlock.h
export const spin_lock_irq = (l: spinlock_t): Promise<void> => __lock_acquire(l, LOCK_IRQ);
// spin_unlock_irq() in include/linux/spinlock.h
export const spin_unlock_irq = (l: spinlock_t): Promise<void> => __lock_release(l, UNLOCK_IRQ);
// spin_trylock() in include/linux/spinlock.h
export const spin_trylock = (l: spinlock_t): Promise<boolean> => __lock_trylock(l, TRYLOCK);

// spin_lock_irqsave() in include/linux/spinlock.h: returns the flags to restore.
export async function spin_lock_irqsave(l: spinlock_t): Promise<irqflags_t> {
  const flags = __save_flags(current());
  await __lock_acquire(l, LOCK_IRQSAVE);
  return flags;
}

// spin_unlock_irqrestore() in include/linux/spinlock.h
export const spin_unlock_irqrestore = (l: spinlock_t, flags: irqflags_t): Promise<void> => __lock_release(l, UNLOCK_IRQRESTORE, flags);

// spin_is_locked() in include/linux/spinlock.h
export const spin_is_locked = (l: spinlock_t): boolean => l.is_locked;

// spin_is_contended() in include/linux/spinlock.h
export const spin_is_contended = (l: spinlock_t): boolean => l.contended();
