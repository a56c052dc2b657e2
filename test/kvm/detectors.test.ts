// KASAN and kmemleak on the KVM model (model/lifetime.ts, tdp_mmu_free_sp()): each
// detector finds its bug, written as an override of the function the bug lives in,
// and its fixed twin (upstream's function) is clean over the same exploration: dfs,
// every schedule within two preemptions.
import { describe, expect, it } from 'vitest';
import { explore, renderTrace, type ExploreResult, type Scenario } from '../../src/engine/index.ts';
import { collapse, racing_links, root_lookup, split_enomem } from '../fixtures/kvm-lifetimes.ts';

const DFS = { strategy: 'dfs', schedules: 50_000, preemptions: 2, maxSteps: 20_000 } as const;

async function finds(s: Scenario): Promise<ExploreResult> {
  const r = await explore(s, DFS);
  expect(r.findings.map((f) => f.kind), s.name).toEqual([s.expect]);
  return r;
}

async function clean(s: Scenario): Promise<void> {
  const r = await explore(s, { ...DFS, shrink: false });
  expect(r.findings.map((f) => `${f.kind}: ${f.message}`), s.name).toEqual([]);
  expect(r.verdict.class, s.name).toBe('proved');
}

describe('use-after-free of a page table', () => {
  it('freed without call_rcu() while a lockless walker is inside it: KASAN, with the allocation and free stacks', async () => {
    const f = (await finds(collapse('now', 'rcu'))).findings[0]!;
    expect(f.message).toMatch(/^BUG: KASAN: use-after-free in fast_page_fault: Read of size 8 at addr ffff8880[0-9a-f]{8} by task fast_pf\/1000$/);
    expect(f.report).toContain('==================================================================\nBUG: KASAN: use-after-free in fast_page_fault');
    expect(f.report).toMatch(/Allocated by task 0:\n get_zeroed_page\n table_at_setup\n kvm_premap_shared/);
    expect(f.report).toMatch(/Freed by task 1001:\n free_pages\n tdp_mmu_free_sp\n handle_removed_pt\n handle_changed_spte\n tdp_mmu_set_spte/);
    expect(f.report).toContain('The buggy address belongs to the physical page');
  });

  it('freed by call_rcu(): the grace period waits for the walker (clean)', () => clean(collapse('call_rcu', 'rcu')));

  it('a walker that uses the table after leaving its RCU read section, freed by call_rcu()', async () => {
    const f = (await finds(collapse('call_rcu', 'leaves-rcu-early'))).findings[0]!;
    expect(f.message).toContain('BUG: KASAN: use-after-free in fast_page_fault');
    // Freed from the RCU callback, after the walker's grace period.
    expect(f.report).toMatch(/Freed by task \d+:\n free_pages\n tdp_mmu_free_sp\n tdp_mmu_free_sp_rcu_callback/);
  });

  it('a root reference taken after the RCU section that found the root: slab-use-after-free of struct kvm_mmu_page', async () => {
    const f = (await finds(root_lookup(true))).findings[0]!;
    expect(f.message).toMatch(/^BUG: KASAN: slab-use-after-free in kvm_tdp_mmu_get_root: Read of size 4/);
    expect(f.report).toContain('which belongs to the cache kvm_mmu_page_header of size 184');
    expect(f.report).toMatch(/Freed by task \d+:\n kmem_cache_free\n tdp_mmu_free_sp\n tdp_mmu_free_sp_rcu_callback/);
    // The struct holds sp->rcu_head: KASAN names the call_rcu() that queued the free.
    expect(f.report).toMatch(/Last potentially related work creation:\n call_rcu\n kvm_tdp_mmu_put_root/);
  });

  it('taken inside it, as tdp_mmu_next_root() does (clean)', () => clean(root_lookup(false)));
});

describe('double free of a page table', () => {
  it('tdp_mmu_link_sp() freeing the table it failed to link, which kvm_tdp_mmu_map() frees too', async () => {
    const f = (await finds(racing_links(true))).findings[0]!;
    expect(f.message).toMatch(/^BUG: KASAN: double-free in tdp_mmu_free_sp: Free of addr ffff8880[0-9a-f]{8} by task vcpu[01]\/100[01]$/);
    expect(f.report).toMatch(/Call Trace:\n <TASK>\n kasan_report_invalid_free\n free_pages\n tdp_mmu_free_sp\n kvm_tdp_mmu_map/);
    expect(f.report).toMatch(/Freed by task 100[01]:\n free_pages\n tdp_mmu_free_sp\n tdp_mmu_link_sp\n kvm_tdp_mmu_map/);
    // The losing vCPU's cmpxchg failed: that is where the two frees come from.
    expect(renderTrace(f.trace)).toMatch(/cmpxchg\(direct\[[^\]]+\]\) = -EBUSY/);
  });

  it('only kvm_tdp_mmu_map() frees it (clean)', () => clean(racing_links(false)));
});

describe('leak of a page table', () => {
  it('an unlinked table never freed: kmemleak once every thread is done', async () => {
    const f = (await finds(collapse('never'))).findings[0]!;
    expect(f.message).toMatch(/^kmemleak: 1 new suspected memory leaks: unreferenced object 0xffff8880[0-9a-f]{8} \(size 184\) allocated by swapper in kmem_cache_zalloc <- table_at_setup/);
    expect(f.message).toContain('a level-1 table no entry links any more');
    expect(f.report).toContain('backtrace (kvm_mmu_page_header):');
  });

  it('freed after a grace period (clean)', () => clean(collapse('call_rcu')));
});

describe('an injected -ENOMEM that leaks a root reference', () => {
  it('without faults the error path is never taken: the leaking override is clean', () => clean(split_enomem(true)));

  it('with { slab: 1 } the search fails the split allocation and finds the root reference leaked', async () => {
    const f = (await finds(split_enomem(true, { slab: 1 }))).findings[0]!;
    expect(f.message).toContain('sp1 (the direct root): tdp_mmu_root_count is 2 once every thread is done');
    expect(f.report).toMatch(/reference taken by split:\n +kvm_tdp_mmu_get_root\n +for_each_tdp_mmu_root_yield_safe/);
    const trace = renderTrace(f.trace);
    expect(trace).toContain('kmem_cache_zalloc(kvm_mmu_page_header, GFP_KERNEL_ACCOUNT) = NULL [injected]');
    expect(trace).toContain('= -ENOMEM');
  });

  it('upstream puts the root before leaving the loop: clean under the same budget', () => clean(split_enomem(false, { slab: 1 })));
  it('and with a sp->spt allocation failed instead', () => clean(split_enomem(false, { page_alloc: 1 })));
});
