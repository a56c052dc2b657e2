// Sleeping in atomic context (might_sleep()), allocation, and the
// kvm_mmu_memory_cache discipline: top up outside mmu_lock, take from it inside.
import { describe, it, expect } from 'vitest';
import {
  atomic_read,
  atomic_t,
  cond_resched,
  cond_resched_rwlock_write,
  DEFINE_MUTEX,
  DEFINE_RWLOCK,
  DEFINE_SPINLOCK,
  GFP_ATOMIC,
  GFP_KERNEL,
  kmalloc,
  kvm_mmu_memory_cache,
  kvm_mmu_memory_cache_alloc,
  kvm_mmu_memory_cache_nr_free_objects,
  kvm_mmu_free_memory_cache,
  kvm_mmu_topup_memory_cache,
  local_irq_restore,
  local_irq_save,
  might_sleep,
  mutex_lock,
  mutex_unlock,
  rcu_read_lock,
  rcu_read_unlock,
  read_lock,
  read_unlock,
  spin_lock,
  spin_unlock,
  write_lock,
  write_unlock,
  type kmem_obj,
} from '../../src/kernel/index.ts';
import { count_schedules, dfs, multinomial, plain, program, rlock, runlock, sleep_lock, sleep_unlock, spin, start, unspin } from './helpers.ts';

describe('sleep-in-atomic', () => {
  /** vCPU faults: allocate a page-table page `inside` or outside read_lock(mmu_lock). */
  const fault = (inside: boolean) =>
    program('fault', (k) => {
      const mmu_lock = DEFINE_RWLOCK(k, 'mmu_lock');
      for (const n of ['vcpu0', 'vcpu1'])
        k.kthread(n, async () => {
          let sp = inside ? null : kmalloc(k, 4096, GFP_KERNEL);
          await read_lock(mmu_lock);
          if (inside) sp = kmalloc(k, 4096, GFP_KERNEL);
          if (sp === null) throw new Error('GFP_KERNEL allocation failed');
          await read_unlock(mmu_lock);
        });
    });

  it('a GFP_KERNEL allocation under read_lock(mmu_lock)', async () => {
    const r = await dfs(fault(true));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.kind).toBe('sleep-in-atomic');
    expect(f.message).toBe('sleeping function called from invalid context: kmalloc(4096, GFP_KERNEL) in vcpu0 holding mmu_lock');
    for (const line of [
      'BUG: sleeping function called from invalid context at include/linux/sched/mm.h',
      'in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1000, name: vcpu0',
      'preempt_count: 1, expected: 0',
      '1 lock held by vcpu0/1000:',
      ' #0: (mmu_lock){.+.+}-{2:2}, at: test/kernel/sleep.test.ts:45 [step 1]',
      'Preemption disabled at:',
      // The trace of the sleeping call, not one frame naming it.
      'Call Trace:\n <TASK>\n might_alloc include/linux/sched/mm.h\n slab_alloc_node include/linux/slab.h\n kmalloc include/linux/slab.h\n test/kernel/sleep.test.ts:46\n </TASK>',
    ])
      expect(f.report).toContain(line);
    // The sleeping call is the finding's, not the read_lock() step it was made in.
    expect(f.call).toBe('kmalloc(4096, GFP_KERNEL)');
    expect(f.trace[f.step]!.op).toBe('read_lock');
  });

  it('fixed: allocate before taking mmu_lock', async () => {
    const r = await dfs(fault(false));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    const t = (cpu: number) => ({ cpu, steps: [start, rlock('mmu_lock'), runlock('mmu_lock')] });
    expect(r.stats.schedules).toBe(count_schedules([t(0), t(1)]));
    expect(r.stats.schedules).toBe(multinomial(3, 3));
  });

  it('mutex_lock() under a spinlock, and GFP_ATOMIC there is fine', async () => {
    const bad = await dfs(
      program('mutex-in-spin', (k) => {
        const s = DEFINE_SPINLOCK(k, 'prealloc_split_cache_lock');
        const m = DEFINE_MUTEX(k, 'pamt_cache_lock');
        k.kthread('T', async () => {
          await spin_lock(s);
          await mutex_lock(m);
        });
      }),
    );
    expect(bad.findings[0]!.kind).toBe('sleep-in-atomic');
    expect(bad.findings[0]!.report).toContain('BUG: sleeping function called from invalid context at kernel/locking/mutex.c');
    // The report comes at the mutex_lock() step, before the task would sleep.
    expect(bad.findings[0]!.trace.at(-1)).toMatchObject({ op: 'mutex_lock', obj: 'pamt_cache_lock', result: 'sleep-in-atomic' });

    const good = await dfs(
      program('mutex-then-spin', (k) => {
        const s = DEFINE_SPINLOCK(k, 'prealloc_split_cache_lock');
        const m = DEFINE_MUTEX(k, 'pamt_cache_lock');
        for (const n of ['T1', 'T2'])
          k.kthread(n, async () => {
            await mutex_lock(m);
            await spin_lock(s);
            if (kmalloc(k, 64, GFP_ATOMIC) === null) throw new Error('GFP_ATOMIC failed');
            await spin_unlock(s);
            await mutex_unlock(m);
          });
      }),
    );
    expect(good.findings).toEqual([]);
    expect(good.stats.complete).toBe('yes');
    const t = (cpu: number) => ({ cpu, steps: [start, sleep_lock('M'), spin('S'), unspin('S'), sleep_unlock('M')] });
    expect(good.stats.schedules).toBe(count_schedules([t(0), t(1)]));
  });

  it('might_sleep() with interrupts off, and inside rcu_read_lock()', async () => {
    const irq = await dfs(
      program('irqs-off', (k) =>
        void k.kthread('T', () => {
          const flags = local_irq_save();
          might_sleep();
          local_irq_restore(flags);
        }),
      ),
    );
    expect(irq.findings[0]!.report).toContain('in_atomic(): 0, irqs_disabled(): 1');
    const rcu = await dfs(
      program('rcu-sleep', (k) =>
        void k.kthread('T', async () => {
          await rcu_read_lock();
          await cond_resched();
          await rcu_read_unlock();
        }),
      ),
    );
    expect(rcu.findings[0]!.kind).toBe('sleep-in-atomic');
    expect(rcu.findings[0]!.report).toContain('RCU nest depth: 1, expected: 0');
  });

  it('cond_resched_rwlock_write() yields mmu_lock only to a waiter', async () => {
    const dropped: boolean[] = [];
    const r = await dfs(
      program('yield', (k) => {
        const l = DEFINE_RWLOCK(k, 'mmu_lock');
        const x = new atomic_t(k, 'x', 0);
        k.kthread('zap', async () => {
          await write_lock(l);
          await atomic_read(x);
          dropped.push(await cond_resched_rwlock_write(l));
          await write_unlock(l);
        });
        k.kthread('fault', async () => {
          await read_lock(l);
          await read_unlock(l);
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(new Set(dropped)).toEqual(new Set([true, false]));
  });
});

describe('GFP_ATOMIC failure injection', () => {
  it('k.gfp_atomic_fails makes non-blocking allocations fail, and only those', async () => {
    const got: Array<[boolean, boolean]> = [];
    for (const fails of [false, true])
      await dfs(
        program(
          'gfp',
          (k) =>
            void k.kthread('T', () => {
              got.push([kmalloc(k, 64, GFP_ATOMIC) !== null, kmalloc(k, 64, GFP_KERNEL) !== null]);
            }),
          { gfp_atomic_fails: fails },
        ),
      );
    expect(got).toEqual([
      [true, true],
      [false, true],
    ]);
  });
});

describe('kvm_mmu_memory_cache', () => {
  /** Two vCPUs each take one page from a shared split cache under its spinlock;
   * `topup` says whether each first tops the cache up outside the lock. */
  const split = (topup: boolean) =>
    program('split-cache', (k) => {
      const lock = DEFINE_SPINLOCK(k, 'prealloc_split_cache_lock');
      const mc = new kvm_mmu_memory_cache(k, 'split_cache', { capacity: 2 });
      const taken: kmem_obj[] = [];
      for (const n of ['vcpu0', 'vcpu1'])
        k.kthread(n, async () => {
          if (topup && (await kvm_mmu_topup_memory_cache(mc, 1)) !== 0) throw new Error('-ENOMEM');
          await spin_lock(lock);
          taken.push(await kvm_mmu_memory_cache_alloc(mc));
          await spin_unlock(lock);
        });
    });

  it('allocating from an empty cache under a spinlock', async () => {
    const r = await dfs(split(false));
    expect(r.findings).toHaveLength(1);
    const f = r.findings[0]!;
    expect(f.kind).toBe('cache-exhausted');
    expect(f.message).toBe('kvm_mmu_memory_cache_alloc(split_cache): cache empty in vcpu0 while holding prealloc_split_cache_lock');
    expect(f.details).toMatchObject({ cache: 'split_cache', locks: ['prealloc_split_cache_lock'] });
    expect(f.report).toContain('WARNING: CPU: 0 PID: 1000 at virt/kvm/kvm_main.c kvm_mmu_memory_cache_alloc');
  });

  it('fixed: topped up outside the lock, clean over all schedules', async () => {
    const r = await dfs(split(true));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    const t = (cpu: number) => ({ cpu, steps: [start, plain, spin('L'), plain, unspin('L')] });
    expect(r.stats.schedules).toBe(count_schedules([t(0), t(1)]));
  });

  it('a top-up under the spinlock is sleeping in atomic context', async () => {
    const r = await dfs(
      program('topup-under-lock', (k) => {
        const lock = DEFINE_RWLOCK(k, 'mmu_lock');
        const mc = new kvm_mmu_memory_cache(k, 'mmu_page_header_cache');
        k.kthread('vcpu0', async () => {
          await write_lock(lock);
          await kvm_mmu_topup_memory_cache(mc, 4);
          await write_unlock(lock);
        });
      }),
    );
    expect(r.findings[0]!.kind).toBe('sleep-in-atomic');
    expect(r.findings[0]!.message).toContain('kvm_mmu_topup_memory_cache(mmu_page_header_cache, 4) in vcpu0 holding mmu_lock');
  });

  it('tops up to capacity, is a no-op when it holds min, and frees', async () => {
    const counts: number[] = [];
    const r = await dfs(
      program('topup', (k) => {
        const mc = new kvm_mmu_memory_cache(k, 'c', { capacity: 4 });
        k.kthread('T', async () => {
          await kvm_mmu_topup_memory_cache(mc, 2);
          counts.push(kvm_mmu_memory_cache_nr_free_objects(mc));
          await kvm_mmu_memory_cache_alloc(mc);
          await kvm_mmu_memory_cache_alloc(mc);
          await kvm_mmu_topup_memory_cache(mc, 2);
          counts.push(kvm_mmu_memory_cache_nr_free_objects(mc));
          await kvm_mmu_topup_memory_cache(mc, 3);
          counts.push(kvm_mmu_memory_cache_nr_free_objects(mc));
          await kvm_mmu_free_memory_cache(mc);
          counts.push(kvm_mmu_memory_cache_nr_free_objects(mc));
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(counts).toEqual([4, 2, 4, 0]);
  });
});
