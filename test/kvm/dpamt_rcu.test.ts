import { describe, expect, it } from 'vitest';
import { call_rcu, rcu_read_lock, rcu_read_unlock } from '../../src/kernel/index.ts';
import { kvm_mmu_page, pamt_region, tdx_pamt_cache, tdx_pamt_get, tdx_pamt_put, tdx_sept_reclaim_private_spt, tdx_topup_pamt_cache, tdp_mmu_free_sp_rcu_callback_for_tests, type kvm } from './kvm_test_api.ts';
import { ops_of, run_once } from './helpers.ts';

describe('Dynamic PAMT and RCU-deferred freeing', () => {
  it('tdx_pamt_get installs a region on its first page and tdx_pamt_put removes it after its last', async () => {
    const seen: Array<[number, boolean]> = [];
    const { run } = await run_once({
      setup(vm) {
        vm.k.kthread('t', async () => {
          const cache = new tdx_pamt_cache('test_cache', vm.run);
          await tdx_topup_pamt_cache(cache, 4);
          const pfn = vm.host.alloc_pages(9);
          const region = pamt_region(pfn);
          const look = () => seen.push([vm.host.refcount(pfn), vm.host.pamt.is_installed(region)]);
          await tdx_pamt_get(vm, pfn, cache, 0);
          look();
          await tdx_pamt_get(vm, pfn + 1, cache, 1);
          look();
          await tdx_pamt_put(vm, pfn, 0);
          look();
          await tdx_pamt_put(vm, pfn + 1, 1);
          look();
          expect(cache.cnt).toBe(4 - vm.host.pamt.entry_pages);
        });
      },
    });
    expect(run.finding).toBeNull();
    expect(seen).toEqual([
      [1, true],
      [2, true],
      [1, true],
      [0, false],
    ]);
    expect(ops_of(run, 't', /^tdh_phymem/)).toEqual([expect.stringMatching(/^tdh_phymem_pamt_add/), expect.stringMatching(/^tdh_phymem_pamt_remove/)]);
  });

  /** A reader still walks the old tree when `freer` unlinks a table whose S-EPT page
   * holds a DPAMT reference; `reclaim` says whether the reference is dropped at once
   * (tdx_sept_reclaim_private_spt(), as handle_removed_pt() does for a mirror table)
   * or left to the RCU callback that frees the table (RFC v5 20/45). */
  const freed_table = (reclaim: boolean) => ({
    setup(vm: kvm) {
      const sp = new kvm_mmu_page('test', vm.run);
      let queued = false;
      vm.k.kthread('reader', async () => {
        await rcu_read_lock();
        // Still walking the old tree when the table is queued for freeing.
        await vm.run.point({ kind: 'walk', footprint: [], waitsOn: () => (queued ? null : ['freer']) });
        await rcu_read_unlock();
      });
      vm.k.kthread('freer', async () => {
        const cache = new tdx_pamt_cache('test_cache', vm.run);
        await tdx_topup_pamt_cache(cache, 2);
        sp.external_spt = vm.host.alloc_pages(0);
        await tdx_pamt_get(vm, sp.external_spt, cache, 0);
        sp.external_spt_pamt = true;
        if (reclaim) await tdx_sept_reclaim_private_spt(vm, 0, sp);
        call_rcu(sp, () => tdp_mmu_free_sp_rcu_callback_for_tests(vm, sp));
        queued = true;
      });
    },
  });

  it('a removed mirror table gives back its S-EPT page DPAMT in process context; the RCU callback only frees it, after readers of the old tree are gone', async () => {
    const { run, kvm } = await run_once(freed_table(true));
    expect(run.finding).toBeNull();
    const cb = run.threads.find((t) => t.name.startsWith('rcu_callback'))!;
    expect(cb.level).toBe(1);
    expect(ops_of(run, cb.name, /pamt/)).toEqual([]);
    expect(ops_of(run, 'freer', /pamt/)).toEqual([
      'atomic_inc_not_zero(pamt_refcount[0x100000])',
      'spin_lock(pamt_lock)',
      'atomic_read(pamt_refcount[0x100000])',
      expect.stringMatching(/^tdh_phymem_pamt_add/),
      'atomic_set(pamt_refcount[0x100000])',
      'spin_unlock(pamt_lock)',
      'atomic_add_unless(pamt_refcount[0x100000])',
      'spin_lock(pamt_lock)',
      'atomic_dec_and_test(pamt_refcount[0x100000])',
      expect.stringMatching(/^tdh_phymem_pamt_remove/),
      'spin_unlock(pamt_lock)',
    ]);
    const step_of = (thread: string, op: string) => run.trace.find((e) => e.thread === thread && e.op === op)!.step;
    expect(step_of(cb.name, 'rcu_do_batch')).toBeGreaterThan(step_of('reader', 'rcu_read_unlock'));
    expect(kvm.host.refcounts()).toEqual([]);
  });

  it('RFC v5 20/45: dropped from the RCU callback, pamt_lock is taken in softirq after process context took it with softirqs on', async () => {
    const { run } = await run_once(freed_table(false));
    expect(run.finding?.kind).toBe('irq-unsafe-lock');
    expect(run.finding?.message).toContain('inconsistent lock state: pamt_lock {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W}');
  });
});
