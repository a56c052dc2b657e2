// RCU: read-side checking, grace periods (synchronize_rcu, call_rcu), rcu_barrier.
import { describe, it, expect } from 'vitest';
import {
  atomic_inc,
  atomic_read,
  atomic_t,
  call_rcu,
  DEFINE_RWLOCK,
  in_serving_softirq,
  lockdep_is_held,
  rcu_barrier,
  rcu_dereference,
  rcu_dereference_check,
  rcu_read_lock,
  rcu_read_unlock,
  read_lock,
  read_unlock,
  synchronize_rcu,
  WARN_ON,
  current,
  type Kernel,
} from '../../src/kernel/index.ts';
import { dfs, multinomial, program } from './helpers.ts';

/** A page-table page that readers reach through an RCU-protected pointer. */
interface pt_page {
  readonly name: string;
  freed: boolean;
}

describe('rcu_dereference', () => {
  const walk = (locked: boolean) =>
    program('walk', (k) => {
      const root = { ptr: { name: 'sp', freed: false } as pt_page };
      const seq = new atomic_t(k, 'seq', 0);
      k.kthread('walker', async () => {
        if (locked) await rcu_read_lock();
        rcu_dereference(root.ptr, 'tdp_iter_refresh_sptep');
        if (locked) await rcu_read_unlock();
      });
      k.kthread('other', () => atomic_inc(seq));
    });

  it('outside a read-side section is suspicious', async () => {
    const r = await dfs(walk(false));
    const f = r.findings[0]!;
    expect(f.kind).toBe('suspicious-rcu');
    expect(f.report).toContain('WARNING: suspicious RCU usage');
    expect(f.report).toContain('tdp_iter_refresh_sptep suspicious rcu_dereference_check() usage!');
    expect(f.report).toContain('no locks held by walker/1000.');
  });

  it('fixed: inside rcu_read_lock()', async () => {
    const r = await dfs(walk(true));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    expect(r.stats.schedules).toBe(multinomial(3, 2)); // start, lock, unlock | start, inc
  });

  it('rcu_dereference_check() accepts a held lock instead', async () => {
    const r = await dfs(
      program('check', (k) => {
        const mmu_lock = DEFINE_RWLOCK(k, 'mmu_lock');
        k.kthread('T', async () => {
          await read_lock(mmu_lock);
          rcu_dereference_check(1, lockdep_is_held(mmu_lock));
          await read_unlock(mmu_lock);
          rcu_dereference_check(1, lockdep_is_held(mmu_lock));
        });
      }),
    );
    expect(r.findings.map((f) => f.kind)).toEqual(['suspicious-rcu']);
  });

  it('rcu_read_lock() appears among the held locks', async () => {
    const r = await dfs(
      program('rcu-leak', (k) => void k.kthread('T', () => rcu_read_lock())),
    );
    expect(r.findings[0]!.kind).toBe('lock-held-at-exit');
    expect(r.findings[0]!.report).toMatch(/^ #0: \(rcu_read_lock\)\{\.\.\.\.\}-\{1:2\}, at: test\/kernel\/rcu\.test\.ts:\d+ \[step 1\]$/m);
  });
});

/** A reader walks to the page and uses it; the updater unpublishes the page, then
 * frees it after `wait` (a grace period, or nothing). */
function reader_updater(k: Kernel, wait: 'synchronize_rcu' | 'none') {
  const seq = new atomic_t(k, 'seq', 0);
  const old: pt_page = { name: 'old_sp', freed: false };
  const root = { ptr: old };
  k.kthread('reader', async () => {
    await rcu_read_lock();
    const sp = rcu_dereference(root.ptr);
    await atomic_read(seq);
    WARN_ON(sp.freed, `use after free of ${sp.name}`);
    await rcu_read_unlock();
  });
  k.kthread('updater', async () => {
    root.ptr = { name: 'new_sp', freed: false };
    if (wait === 'synchronize_rcu') await synchronize_rcu();
    else await atomic_inc(seq);
    old.freed = true;
  });
}

describe('synchronize_rcu', () => {
  it('freeing without a grace period is a use after free', async () => {
    const r = await dfs(program('no-gp', (k) => reader_updater(k, 'none')));
    expect(r.findings.map((f) => f.kind)).toEqual(['warn-on']);
    expect(r.findings[0]!.message).toBe('WARN_ON: use after free of old_sp in reader');
  });

  it('waits for every reader inside a section when it starts', async () => {
    const r = await dfs(program('gp', (k) => reader_updater(k, 'synchronize_rcu')));
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    // reader: start, lock, read, unlock; updater: start, synchronize_rcu: C(6, 2)
    // orders, each extended by one wait_rcu_gp step when the reader was inside.
    expect(r.stats.schedules).toBe(15);
  });

  it('inside a read-side section it is illegal', async () => {
    const r = await dfs(
      program('sync-in-rcu', (k) =>
        void k.kthread('T', async () => {
          await rcu_read_lock();
          await synchronize_rcu();
        }),
      ),
    );
    expect(r.findings[0]!.kind).toBe('suspicious-rcu');
    expect(r.findings[0]!.report).toContain('Illegal synchronize_rcu() in RCU read-side critical section!');
  });
});

describe('call_rcu', () => {
  it('runs the callback in softirq on the caller CPU, after the readers of its grace period', async () => {
    const logs: string[][] = [];
    const r = await dfs(
      program('call_rcu', (k) => {
        const log: string[] = [];
        logs.push(log);
        const seq = new atomic_t(k, 'seq', 0);
        const old: pt_page = { name: 'old_sp', freed: false };
        const root = { ptr: old };
        k.kthread(
          'reader',
          async () => {
            await rcu_read_lock();
            log.push('lock');
            const sp = rcu_dereference(root.ptr);
            await atomic_read(seq);
            WARN_ON(sp.freed, 'use after free');
            log.push('unlock');
            await rcu_read_unlock();
          },
          { cpu: 0 },
        );
        k.kthread(
          'updater',
          () => {
            root.ptr = { name: 'new_sp', freed: false };
            log.push('call_rcu');
            call_rcu(old, (sp) => {
              log.push(`cb softirq=${in_serving_softirq()} cpu=${current().cpu}`);
              sp.freed = true;
            });
          },
          { cpu: 1 },
        );
      }),
    );
    expect(r.findings).toEqual([]);
    expect(r.stats.complete).toBe('yes');
    // The updater's one step goes in one of 5 places among the reader's 4; the
    // callback then anywhere after it, or after the reader's unlock if the reader
    // was inside: 5 + 4 + 1 + 1 + 1.
    expect(r.stats.schedules).toBe(12);
    let inside = 0;
    for (const log of logs) {
      const cb = log.findIndex((e) => e.startsWith('cb'));
      expect(log[cb]).toBe('cb softirq=true cpu=1');
      expect(cb).toBeGreaterThan(log.indexOf('call_rcu'));
      // The reader's `unlock` entry is logged just before rcu_read_unlock(): the
      // callback must not run between the two while the reader holds the page.
      if (log.indexOf('lock') < log.indexOf('call_rcu') && log.indexOf('call_rcu') < log.indexOf('unlock')) {
        inside++;
        expect(cb).toBeGreaterThan(log.indexOf('unlock'));
      }
    }
    expect(inside).toBeGreaterThan(0);
  });

  it('rcu_barrier() waits for queued callbacks', async () => {
    const seen: boolean[] = [];
    const r = await dfs(
      program('barrier', (k) => {
        const head = { name: 'sp', freed: false };
        k.kthread('T', async () => {
          call_rcu(head, (h) => void (h.freed = true));
          await rcu_barrier();
          seen.push(head.freed);
        });
      }),
    );
    expect(r.findings).toEqual([]);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every(Boolean)).toBe(true);
  });
});
