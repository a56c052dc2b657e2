// Atomics, refcount_t, and the WARN family.
import { describe, it, expect } from 'vitest';
import {
  atomic64_add_return,
  atomic64_read,
  atomic64_t,
  atomic_add,
  atomic_add_unless,
  atomic_cmpxchg,
  atomic_dec,
  atomic_dec_and_lock,
  atomic_dec_and_test,
  atomic_inc,
  atomic_inc_return,
  atomic_read,
  atomic_set,
  atomic_t,
  atomic_xchg,
  DEFINE_SPINLOCK,
  KVM_BUG_ON,
  refcount_dec_and_test,
  refcount_inc,
  refcount_inc_not_zero,
  refcount_read,
  refcount_set,
  refcount_t,
  spin_is_locked,
  spin_unlock,
  WARN_ON,
} from '../../src/kernel/index.ts';
import { dfs, multinomial, program } from './helpers.ts';

describe('atomic_t', () => {
  it('each operation is one step with the kernel result', async () => {
    const got: number[] = [];
    const r = await dfs(
      program('ops', (k) => {
        const v = new atomic_t(k, 'v', 5);
        const w = new atomic64_t(k, 'w', 2 ** 40);
        k.kthread('T', async () => {
          await atomic_add(3, v); // 8
          got.push(await atomic_inc_return(v)); // 9
          got.push(await atomic_cmpxchg(v, 1, 0)); // 9, no store
          got.push(await atomic_cmpxchg(v, 9, 1)); // 9, stores 1
          got.push(+(await atomic_add_unless(v, -1, 1))); // 0: it is 1
          got.push(+(await atomic_dec_and_test(v))); // 1: reached 0
          got.push(await atomic_xchg(v, 0x7fffffff)); // 0
          await atomic_inc(v); // wraps
          got.push(await atomic_read(v));
          await atomic_set(v, 2);
          await atomic_dec(v);
          got.push(await atomic_read(v)); // 1
          got.push(await atomic64_add_return(1, w));
          got.push(await atomic64_read(w));
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(got).toEqual([9, 9, 9, 0, 1, 0, -0x80000000, 1, 2 ** 40 + 1, 2 ** 40 + 1]);
    expect(r.stats.steps).toBe(15); // start and 14 operations
  });

  it('atomic_dec_and_lock(): exactly one of two putters frees, with the lock held', async () => {
    const r = await dfs(
      program('dec_and_lock', (k, run) => {
        const refs = new atomic_t(k, 'refs', 2);
        const lock = DEFINE_SPINLOCK(k, 'list_lock');
        let frees = 0;
        for (const n of ['put0', 'put1'])
          k.kthread(n, async () => {
            if (await atomic_dec_and_lock(refs, lock)) {
              if (!spin_is_locked(lock)) throw new Error('not locked');
              frees++;
              await spin_unlock(lock);
            }
          });
        run.invariant('one-free', () => (run.threads.every((t) => t.state === 'done') && frees !== 1 ? `freed ${frees} times` : null));
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });

  it('a put by read then set frees twice or never', async () => {
    const r = await dfs(
      program('racy-put', (k, run) => {
        const refs = new atomic_t(k, 'refs', 2);
        let frees = 0;
        for (const n of ['put0', 'put1'])
          k.kthread(n, async () => {
            const v = (await atomic_read(refs)) - 1;
            await atomic_set(refs, v);
            if (v === 0) frees++;
          });
        run.invariant('one-free', () => (run.threads.every((t) => t.state === 'done') && frees !== 1 ? `freed ${frees} times` : null));
      }),
    );
    expect(r.findings.map((f) => f.message)).toEqual([expect.stringContaining('freed 0 times')]);
  });
});

describe('refcount_t', () => {
  it('underflow is a use-after-free WARN', async () => {
    const r = await dfs(
      program('underflow', (k) => {
        const root = new refcount_t('tdp_mmu_root_count', 1);
        for (const n of ['put0', 'put1']) k.kthread(n, () => refcount_dec_and_test(root));
      }),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('refcount-uaf');
    expect(f.report).toContain('refcount_t: underflow; use-after-free.');
    expect(f.report).toContain('WARNING: CPU: 1 PID: 1001 at lib/refcount.c refcount_warn_saturate');
  });

  it('refcount_inc() on 0 is "addition on 0"', async () => {
    const r = await dfs(program('inc0', (k) => void k.kthread('T', () => refcount_inc(new refcount_t('r', 0)))));
    expect(r.findings[0]!.kind).toBe('refcount-uaf');
    expect(r.findings[0]!.report).toContain('refcount_t: addition on 0; use-after-free.');
  });

  it('fixed: get with refcount_inc_not_zero(), one put each', async () => {
    const last: number[] = [];
    const r = await dfs(
      program('balanced', (k) => {
        const root = new refcount_t('tdp_mmu_root_count');
        refcount_set(root, 1);
        let frees = 0;
        k.kthread('walker', async () => {
          if (await refcount_inc_not_zero(root)) if (await refcount_dec_and_test(root)) frees++;
        });
        k.kthread('owner', async () => {
          if (await refcount_dec_and_test(root)) frees++;
          last.push(frees + refcount_read(root));
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    // walker: start, inc_not_zero, and dec_and_test when its get came before the
    // owner's put (7 of the orders of 3 + 2 steps), else nothing more (3 of the
    // orders of 2 + 2 steps in which the put comes first).
    expect(r.stats.schedules).toBe(7 + 3);
    expect(r.stats.schedules).toBe(multinomial(3, 2));
    expect(last.length).toBe(r.stats.schedules);
  });
});

describe('WARN_ON and KVM_BUG_ON', () => {
  it('WARN_ON(true) is a finding in the kernel format; WARN_ON(false) is not', async () => {
    const r = await dfs(
      program('warn', (k) =>
        void k.kthread('T', () => {
          if (WARN_ON(false, 'never')) throw new Error('WARN_ON(false) returned true');
          WARN_ON(1 + 1 === 2, 'iter.level != fault->goal_level');
        }),
      ),
    );
    const f = r.findings[0]!;
    expect(f.kind).toBe('warn-on');
    // The condition, then where it fired (the code that called WARN_ON(): here this
    // file's thread), the task, the call trace and the end of the trace.
    expect(f.report).toContain(
      [
        '------------[ cut here ]------------',
        'iter.level != fault->goal_level',
        'WARNING: CPU: 0 PID: 1000 at test/kernel/atomic.test.ts:155',
        'CPU: 0 PID: 1000 Comm: T septcheck Not tainted',
        'Call Trace:',
        ' <TASK>',
        ' WARN_ON include/asm-generic/bug.h',
        ' test/kernel/atomic.test.ts:155',
        ' </TASK>',
        '---[ end trace 0000000000000000 ]---',
      ].join('\n'),
    );
  });

  it('KVM_BUG_ON() warns once per VM and marks it bugged', async () => {
    const vms: Array<{ vm_bugged: boolean }> = [];
    const r = await dfs(
      program('bug', (k) => {
        const kvm = { vm_bugged: false };
        vms.push(kvm);
        k.kthread('T', () => {
          if (KVM_BUG_ON(false, kvm)) throw new Error('KVM_BUG_ON(false)');
          KVM_BUG_ON(true, kvm, 'tdx_sept_split_private_spte: level != PG_LEVEL_2M');
        });
      }),
    );
    expect(r.findings[0]!.kind).toBe('kvm-bug-on');
    expect(r.findings[0]!.message).toContain('level != PG_LEVEL_2M');
    expect(vms[0]!.vm_bugged).toBe(true);

    const again = await dfs(
      program('bugged', (k) =>
        void k.kthread('T', () => {
          if (!KVM_BUG_ON(true, { vm_bugged: true })) throw new Error('KVM_BUG_ON(true) returned false');
        }),
      ),
    );
    expect(again.findings).toEqual([]);
  });
});
