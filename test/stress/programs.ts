// Small kernel programs for the stress backend: each bug with its fix.
import type { Program, Run } from '../../src/engine/index.ts';
import {
  call_rcu,
  rcu_barrier,
  rcu_dereference,
  rcu_read_lock,
  rcu_read_unlock,
  WARN_ON,
  atomic_read,
  atomic_set,
  atomic_t,
  current,
  DEFINE_MUTEX,
  DEFINE_RWLOCK,
  DEFINE_SPINLOCK,
  mutex,
  mutex_lock,
  mutex_unlock,
  read_lock,
  read_unlock,
  spin_lock,
  spin_trylock,
  spin_unlock,
  write_lock,
  write_unlock,
  type Kernel,
} from '../../src/kernel/index.ts';
import { program } from '../kernel/helpers.ts';

const all_done = (run: Run) => run.threads.every((t) => t.state === 'done');

/** Two tasks add one to `x` by read then write; `locked` takes a spinlock around it. */
export function lost_update(locked: boolean): Program {
  return program(locked ? 'counter-spinlocked' : 'lost-update', (k, run) => {
    const x = new atomic_t(k, 'x', 0);
    const l = DEFINE_SPINLOCK(k, 'l');
    for (const name of ['T1', 'T2']) {
      k.kthread(name, async () => {
        if (locked) await spin_lock(l);
        const v = await atomic_read(x);
        await atomic_set(x, v + 1);
        if (locked) await spin_unlock(l);
      });
    }
    run.invariant('lost-update', () => (all_done(run) && x.counter !== 2 ? `lost update: x = ${x.counter}` : null));
  });
}

type lock_pair = { lock(n: 'A' | 'B'): Promise<void>; unlock(n: 'A' | 'B'): Promise<void> };

/** Locks A and B of one kind. */
function lock_pair(k: Kernel, kind: 'mutex' | 'spinlock'): lock_pair {
  if (kind === 'mutex') {
    const m = { A: DEFINE_MUTEX(k, 'A'), B: DEFINE_MUTEX(k, 'B') };
    return { lock: (n) => mutex_lock(m[n]), unlock: (n) => mutex_unlock(m[n]) };
  }
  const l = { A: DEFINE_SPINLOCK(k, 'A'), B: DEFINE_SPINLOCK(k, 'B') };
  return { lock: (n) => spin_lock(l[n]), unlock: (n) => spin_unlock(l[n]) };
}

/** P takes A then B; Q takes B then A (or A then B when `ordered`). Lock-order
 * proving is off so the deadlock itself, not lockdep's warning, is what shows. */
export function abba(kind: 'mutex' | 'spinlock', ordered: boolean): Program {
  return program(
    `${ordered ? 'ab-ab' : 'ab-ba'}-${kind}`,
    (k) => {
      const p = lock_pair(k, kind);
      const take = async (x: 'A' | 'B', y: 'A' | 'B') => {
        await p.lock(x);
        await p.lock(y);
        await p.unlock(y);
        await p.unlock(x);
      };
      k.kthread('P', () => take('A', 'B'));
      k.kthread('Q', () => (ordered ? take('A', 'B') : take('B', 'A')));
    },
    { prove_locking: false },
  );
}

/** A mutex that mutex_init() never ran on. */
export function uninit_mutex(): Program {
  return program('uninit-mutex', (k) => {
    const m = new mutex(k, 'pamt_cache_lock');
    k.kthread('T', async () => {
      await mutex_lock(m);
      await mutex_unlock(m);
    });
  });
}

/** Two readers (one of them recursive) and a writer on one rwlock_t; `seen` gets
 * the most readers inside at once. The writer must always be alone. */
export function readers_writer(seen: { readers: number }): Program {
  return program('readers-writer', (k, run) => {
    const l = DEFINE_RWLOCK(k, 'mmu_lock');
    let readers = 0;
    let writers = 0;
    const read = async (nested: boolean) => {
      await read_lock(l);
      if (nested) await read_lock(l);
      readers++;
      seen.readers = Math.max(seen.readers, readers);
      await k.run.point({ kind: 'read', obj: 'data' });
      readers--;
      if (nested) await read_unlock(l);
      await read_unlock(l);
    };
    k.kthread('R1', () => read(true));
    k.kthread('R2', () => read(false));
    k.kthread('W', async () => {
      await write_lock(l);
      writers++;
      await k.run.point({ kind: 'write', obj: 'data' });
      writers--;
      await write_unlock(l);
    });
    run.invariant('exclusion', () => (writers > 0 && readers > 0 ? `writer inside with ${readers} readers` : null));
  });
}

/** Three tasks take a mutex and a spinlock through nested async calls and check,
 * after every await, that current() is still themselves. */
export function whoami(): Program {
  return program('whoami', (k) => {
    const m = DEFINE_MUTEX(k, 'm');
    const l = DEFINE_SPINLOCK(k, 'l');
    const x = new atomic_t(k, 'x', 0);
    const check = (me: string) => {
      if (current().comm !== me) throw new Error(`current() is ${current().comm} in ${me}`);
    };
    const inner = async (me: string) => {
      await spin_lock(l);
      check(me);
      await atomic_set(x, (await atomic_read(x)) + 1);
      check(me);
      await spin_unlock(l);
      check(me);
    };
    for (const me of ['A', 'B', 'C']) {
      k.kthread(me, async () => {
        for (let i = 0; i < 4; i++) {
          await mutex_lock(m);
          check(me);
          await inner(me);
          check(me);
          await mutex_unlock(m);
          check(me);
          await inner(me);
          check(me);
        }
      });
    }
  });
}

/** A reader inside rcu_read_lock() and an updater that frees the old page with
 * call_rcu() (a thread spawned mid-run) and waits with rcu_barrier(). */
export function rcu_free(): Program {
  return program('rcu-free', (k, run) => {
    const old = { name: 'old_sp', freed: false };
    const root = { ptr: old };
    const seq = new atomic_t(k, 'seq', 0);
    let after_barrier: boolean | null = null;
    k.kthread('reader', async () => {
      await rcu_read_lock();
      const sp = rcu_dereference(root.ptr);
      await atomic_read(seq);
      WARN_ON(sp.freed, 'use after free');
      await rcu_read_unlock();
    });
    k.kthread('updater', async () => {
      root.ptr = { name: 'new_sp', freed: false };
      call_rcu(old, (sp) => void (sp.freed = true));
      await rcu_barrier();
      after_barrier = old.freed;
    });
    run.invariant('barrier', () => (all_done(run) && after_barrier !== true ? `rcu_barrier() returned with the callback ${after_barrier === null ? 'never run' : 'not yet run'}` : null));
  });
}

/** Two tasks try a spinlock a few times each; `tries` counts the outcomes. The
 * lock must still exclude. */
export function trylocks(tries: { taken: number; busy: number }): Program {
  return program('trylocks', (k, run) => {
    const l = DEFINE_SPINLOCK(k, 'l');
    const x = new atomic_t(k, 'x', 0);
    let inside = 0;
    for (const name of ['T1', 'T2']) {
      k.kthread(name, async () => {
        for (let i = 0; i < 3; i++) {
          if (!(await spin_trylock(l))) {
            tries.busy++;
            continue;
          }
          tries.taken++;
          inside++;
          await atomic_read(x);
          inside--;
          await spin_unlock(l);
        }
      });
    }
    run.invariant('exclusion', () => (inside > 1 ? 'two tasks inside the spinlock' : null));
  });
}
