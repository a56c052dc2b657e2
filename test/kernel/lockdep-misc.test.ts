// The other lockdep and lock-debugging detectors: recursive locking, bad unlock,
// lock held at exit, failed assertions, uninitialised locks. Each bug is found;
// its fixed twin is clean over all its schedules.
import { describe, it, expect } from 'vitest';
import {
  atomic_read,
  atomic_t,
  DECLARE_RWSEM,
  DEFINE_MUTEX,
  DEFINE_RWLOCK,
  DEFINE_SPINLOCK,
  down_read,
  local_bh_disable,
  lockdep_assert_held,
  lockdep_assert_held_read,
  lockdep_assert_held_write,
  lockdep_assert_not_held,
  lockdep_is_held,
  mutex,
  mutex_init,
  mutex_lock,
  mutex_unlock,
  preempt_disable,
  read_lock,
  read_unlock,
  spin_lock,
  spin_lock_init,
  spin_unlock,
  spinlock_t,
  up_read,
  write_lock,
  write_unlock,
  type Kernel,
} from '../../src/kernel/index.ts';
import { count_schedules, dfs, multinomial, plain, program, sleep_lock, sleep_unlock, spin, start, unspin } from './helpers.ts';

/** A program of one task running `body`, and a bystander so there is interleaving. */
function one(name: string, body: (k: Kernel) => () => Promise<void>) {
  return program(name, (k) => {
    const x = new atomic_t(k, 'x', 0);
    k.kthread('T', body(k));
    k.kthread('other', () => atomic_read(x));
  });
}

describe('recursive locking', () => {
  it('spin_lock on a held spinlock', async () => {
    const r = await dfs(
      one('recursive', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        return async () => {
          await spin_lock(a);
          await spin_lock(a);
        };
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('recursive-locking');
    expect(f.report).toContain('WARNING: possible recursive locking detected');
    expect(f.report).toContain('T/1000 is trying to acquire lock:');
    expect(f.report).toContain('  lock(A);\n  lock(A);');
    expect(f.report).toContain('May be due to missing lock nesting notation');
  });

  it('down_read twice on an rw_semaphore (readers are not recursive)', async () => {
    const r = await dfs(
      one('rwsem-rr', (k) => {
        const s = DECLARE_RWSEM(k, 'S');
        return async () => {
          await down_read(s);
          await down_read(s);
          await up_read(s);
          await up_read(s);
        };
      }),
    );
    expect(r.findings.map((f) => f.kind)).toEqual(['recursive-locking']);
  });

  it('fixed: two different locks nested', async () => {
    const r = await dfs(
      one('nested', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        const b = DEFINE_SPINLOCK(k, 'B');
        return async () => {
          await spin_lock(a);
          await spin_lock(b);
          await spin_unlock(b);
          await spin_unlock(a);
        };
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(multinomial(5, 2));
  });
});

describe('bad unlock', () => {
  it('double unlock', async () => {
    const r = await dfs(
      one('double-unlock', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        return async () => {
          await spin_lock(a);
          await spin_unlock(a);
          await spin_unlock(a);
        };
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('bad-unlock');
    expect(f.report).toContain('WARNING: bad unlock balance detected!');
    expect(f.report).toContain('T/1000 is trying to release lock (A) at:');
    expect(f.report).toContain('but there are no more locks to release!');
    expect(f.report).toContain('no locks held by T/1000.');
  });

  it('unlock by a task that does not hold it', async () => {
    const r = await dfs(
      program('non-owner', (k) => {
        const m = DEFINE_MUTEX(k, 'M');
        k.kthread('owner', async () => {
          await mutex_lock(m);
          await mutex_unlock(m);
        });
        k.kthread('thief', () => mutex_unlock(m));
      }),
    );
    expect(r.findings[0]!.kind).toBe('bad-unlock');
    expect(r.findings[0]!.thread).toBe('thief');
  });

  it('write_unlock of a read-held rwlock', async () => {
    const r = await dfs(
      one('mode', (k) => {
        const l = DEFINE_RWLOCK(k, 'R');
        return async () => {
          await read_lock(l);
          await write_unlock(l);
        };
      }),
    );
    expect(r.findings[0]!.kind).toBe('bad-unlock');
    expect(r.findings[0]!.message).toContain('write_unlock(R) by T, which does not hold R exclusively');
  });

  it('fixed: balanced', async () => {
    const r = await dfs(
      one('balanced', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        return async () => {
          await spin_lock(a);
          await spin_unlock(a);
        };
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(multinomial(3, 2));
  });
});

describe('lock held at exit', () => {
  it('a task returning with a spinlock held', async () => {
    const r = await dfs(
      one('leak', (k) => {
        const a = DEFINE_SPINLOCK(k, 'A');
        return () => spin_lock(a);
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('lock-held-at-exit');
    expect(f.report).toContain('WARNING: lock held when returning to user space!');
    expect(f.report).toContain('T/1000 is leaving the kernel with locks still held!');
    // `at:` names the code that took the lock (this file's arrow), with its step.
    expect(f.report).toMatch(/^1 lock held by T\/1000:\n #0: \(A\)\{\+\.\+\.\}-\{2:2\}, at: test\/kernel\/lockdep-misc\.test\.ts:\d+ \[step 1\]$/m);
  });

  it('fixed: released before returning', async () => {
    const r = await dfs(
      one('no-leak', (k) => {
        const m = DEFINE_MUTEX(k, 'M');
        return async () => {
          await mutex_lock(m);
          await mutex_unlock(m);
        };
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(count_schedules([{ cpu: 0, steps: [start, sleep_lock('M'), sleep_unlock('M')] }, { cpu: 1, steps: [start, plain] }]));
  });

  it('preemption or bottom halves left disabled', async () => {
    const p = await dfs(one('preempt-leak', () => async () => preempt_disable()));
    expect(p.findings[0]!.kind).toBe('preempt-leak');
    expect(p.findings[0]!.message).toBe('note: T[1000] exited with preempt_count 1');
    const bh = await dfs(one('bh-leak', () => async () => local_bh_disable()));
    expect(bh.findings[0]!.message).toBe('note: T[1000] exited with preempt_count 512');
  });
});

describe('lockdep_assert_held', () => {
  it('fails when the lock is not held', async () => {
    const r = await dfs(
      one('assert', (k) => {
        const l = DEFINE_RWLOCK(k, 'mmu_lock');
        return async () => lockdep_assert_held(l);
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('assert-held-failed');
    expect(f.message).toBe('lockdep_assert_held(mmu_lock) failed in T');
    expect(f.report).toContain('WARNING: CPU: 0 PID: 1000 at lockdep_assert_held(mmu_lock)');
  });

  it('fails when held by another task only', async () => {
    const r = await dfs(
      program('assert-other', (k) => {
        const l = DEFINE_SPINLOCK(k, 'A');
        const x = new atomic_t(k, 'x', 0);
        k.kthread('holder', async () => {
          await spin_lock(l);
          await atomic_read(x);
          await spin_unlock(l);
        });
        k.kthread('checker', async () => {
          await atomic_read(x);
          lockdep_assert_held(l);
        });
      }),
    );
    expect(r.findings[0]!.kind).toBe('assert-held-failed');
  });

  it('_write fails under read_lock, _read under write_lock, _not_held when held', async () => {
    for (const [take, drop, check, what] of [
      [read_lock, read_unlock, lockdep_assert_held_write, 'lockdep_assert_held_write(mmu_lock)'],
      [write_lock, write_unlock, lockdep_assert_held_read, 'lockdep_assert_held_read(mmu_lock)'],
      [write_lock, write_unlock, lockdep_assert_not_held, 'lockdep_assert_not_held(mmu_lock)'],
    ] as const) {
      const r = await dfs(
        one(what, (k) => {
          const l = DEFINE_RWLOCK(k, 'mmu_lock');
          return async () => {
            await take(l);
            check(l);
            await drop(l);
          };
        }),
      );
      expect(r.findings.map((f) => f.message)).toEqual([`${what} failed in T`]);
    }
  });

  it('fixed: every assertion holds where it should', async () => {
    const r = await dfs(
      one('asserts-ok', (k) => {
        const l = DEFINE_RWLOCK(k, 'mmu_lock');
        return async () => {
          lockdep_assert_not_held(l);
          await read_lock(l);
          lockdep_assert_held(l);
          lockdep_assert_held_read(l);
          if (!lockdep_is_held(l)) throw new Error('lockdep_is_held');
          await read_unlock(l);
          await write_lock(l);
          lockdep_assert_held(l);
          lockdep_assert_held_write(l);
          await write_unlock(l);
        };
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(multinomial(5, 2));
  });
});

describe('uninitialised locks', () => {
  /** Two tasks using a per-VM mutex that `init` may or may not initialise. */
  const pamt = (init: boolean) =>
    program('pamt_cache_lock', (k) => {
      const m = new mutex(k, 'pamt_cache_lock'); // kzalloc'ed struct kvm_tdx
      if (init) mutex_init(m); // tdx_vm_init()
      for (const n of ['vcpu0', 'vcpu1'])
        k.kthread(n, async () => {
          await mutex_lock(m);
          await mutex_unlock(m);
        });
    });

  it('mutex_lock() on a mutex never mutex_init()ed', async () => {
    const r = await dfs(pamt(false));
    const f = r.findings[0]!;
    expect(f.kind).toBe('uninitialized-lock');
    expect(f.message).toBe('pamt_cache_lock used without mutex_init(): mutex_lock(pamt_cache_lock) in vcpu0');
    expect(f.report).toContain('DEBUG_LOCKS_WARN_ON(lock->magic != lock)');
    expect(f.report).toContain('INFO: trying to register non-static key.');
    expect(f.report).toContain("you didn't initialize this object before use?");
  });

  it('fixed: mutex_init() in tdx_vm_init()', async () => {
    const r = await dfs(pamt(true));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    const t = (cpu: number) => ({ cpu, steps: [start, sleep_lock('M'), sleep_unlock('M')] });
    expect(r.stats.schedules).toBe(count_schedules([t(0), t(1)]));
  });

  it('spin_lock() on a spinlock never spin_lock_init()ed', async () => {
    const uninit = await dfs(
      one('spin-uninit', (k) => {
        const l = new spinlock_t(k, 'tdp_mmu_pages_lock');
        return async () => {
          await spin_lock(l);
          await spin_unlock(l);
        };
      }),
    );
    expect(uninit.findings[0]!.kind).toBe('uninitialized-lock');
    expect(uninit.findings[0]!.report).toContain('BUG: spinlock bad magic on CPU#0, T/1000');
    const fixed = await dfs(
      one('spin-init', (k) => {
        const l = new spinlock_t(k, 'tdp_mmu_pages_lock');
        spin_lock_init(l);
        return async () => {
          await spin_lock(l);
          await spin_unlock(l);
        };
      }),
    );
    expect(fixed.findings).toEqual([]);
    expect(fixed.stats.complete).toBe('yes');
    expect(fixed.stats.schedules).toBe(count_schedules([{ cpu: 0, steps: [start, spin('L'), unspin('L')] }, { cpu: 1, steps: [start, plain] }]));
  });
});
