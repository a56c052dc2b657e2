// SRCU: synchronize_srcu() waits for the readers that were inside a section when it
// began, and lockdep checks readers and updaters.
import { describe, expect, it } from 'vitest';
import {
  DEFINE_MUTEX,
  DEFINE_SRCU,
  init_srcu_struct,
  lockdep_is_held,
  mutex_lock,
  mutex_unlock,
  srcu_dereference,
  srcu_dereference_check,
  srcu_read_lock,
  srcu_read_lock_held,
  srcu_read_unlock,
  srcu_struct,
  synchronize_srcu,
  WARN_ON,
} from '../../src/kernel/index.ts';
import { dfs, program } from './helpers.ts';

describe('synchronize_srcu', () => {
  /** A reader uses the memslots it dereferenced; the updater publishes new ones,
   * waits for readers (or not), then frees the old ones. */
  const publish = (wait: boolean) =>
    program('publish', (k) => {
      const srcu = DEFINE_SRCU(k, '&kvm->srcu');
      const slots = { cur: { name: 'old', freed: false } };
      k.kthread('vcpu', async () => {
        const idx = await srcu_read_lock(srcu);
        const s = srcu_dereference(slots.cur, srcu, 'kvm_memslots');
        await k.run.point({ kind: 'use', obj: s.name, footprint: [{ key: 'slots' }] });
        WARN_ON(s.freed, `vcpu uses memslots '${s.name}' after they were freed`);
        await srcu_read_unlock(srcu, idx);
      });
      k.kthread('updater', async () => {
        const old = slots.cur;
        await k.run.point({ kind: 'rcu_assign_pointer', obj: 'kvm->memslots', footprint: [{ key: 'slots' }] });
        slots.cur = { name: 'new', freed: false };
        if (wait) await synchronize_srcu(srcu);
        old.freed = true;
      });
    });

  it('waits for a reader that entered before it: the old memslots outlive every reader', async () => {
    const r = await dfs(publish(true));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
  });

  it('without it, a reader uses freed memslots', async () => {
    const r = await dfs(publish(false));
    expect(r.findings.map((f) => f.kind)).toEqual(['warn-on']);
  });

  it('inside a read-side section of the same srcu_struct is illegal', async () => {
    const r = await dfs(
      program('self', (k) => {
        const srcu = DEFINE_SRCU(k, '&kvm->srcu');
        k.kthread('T', async () => {
          const idx = await srcu_read_lock(srcu);
          await synchronize_srcu(srcu);
          await srcu_read_unlock(srcu, idx);
        });
      }),
    );
    expect(r.findings[0]!.kind).toBe('suspicious-rcu');
    expect(r.findings[0]!.report).toContain('Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section');
  });

  it('taking a lock inside a reader that an updater holds across synchronize_srcu() is a circular dependency', async () => {
    const r = await dfs(
      program('slots_lock', (k) => {
        const srcu = DEFINE_SRCU(k, '&kvm->srcu');
        const slots_lock = DEFINE_MUTEX(k, '&kvm->slots_lock');
        k.kthread('vcpu', async () => {
          const idx = await srcu_read_lock(srcu);
          await mutex_lock(slots_lock);
          await mutex_unlock(slots_lock);
          await srcu_read_unlock(srcu, idx);
        });
        k.kthread('set_memory_region', async () => {
          await mutex_lock(slots_lock);
          await synchronize_srcu(srcu);
          await mutex_unlock(slots_lock);
        });
      }),
    );
    expect(r.findings.map((f) => f.kind)).toContain('lock-order-inversion');
  });

  it('an srcu_struct never initialised is reported', async () => {
    const r = await dfs(
      program('uninit', (k) => {
        const srcu = new srcu_struct(k, '&kvm->srcu');
        k.kthread('T', async () => void (await srcu_read_lock(srcu)));
      }),
    );
    expect(r.findings[0]!.kind).toBe('uninitialized-lock');
  });
});

describe('srcu_read_lock_held and srcu_dereference', () => {
  it('holds only inside a read-side section; srcu_dereference_check() accepts a held lock instead', async () => {
    const seen: boolean[] = [];
    const r = await dfs(
      program('held', (k) => {
        const srcu = new srcu_struct(k, '&kvm->srcu');
        init_srcu_struct(srcu);
        const slots_lock = DEFINE_MUTEX(k, '&kvm->slots_lock');
        k.kthread('T', async () => {
          seen.push(srcu_read_lock_held(srcu));
          const idx = await srcu_read_lock(srcu);
          seen.push(srcu_read_lock_held(srcu));
          await srcu_read_unlock(srcu, idx);
          await mutex_lock(slots_lock);
          srcu_dereference_check(1, srcu, lockdep_is_held(slots_lock), 'kvm_memslots');
          await mutex_unlock(slots_lock);
          srcu_dereference(1, srcu, 'kvm_memslots');
        });
      }),
    );
    expect(seen.slice(0, 2)).toEqual([false, true]);
    expect(r.findings.map((f) => f.kind)).toEqual(['suspicious-rcu']);
    expect(r.findings[0]!.report).toContain('kvm_memslots suspicious rcu_dereference_check() usage!');
  });
});
