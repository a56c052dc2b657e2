// Splitting the mirror root before a conversion or a memory failure removes part of
// a huge page (v3 review: Kai Huang's and Sean Christopherson's head/tail arithmetic;
// v5 44/45: the per-VM PAMT cache under a mutex taken outside mmu_lock). These are
// the functions a variant overrides to do them its own way.
import { tdx_dpamt_entry_pages, tdx_init_pamt_cache } from './dpamt.ts';
import { lockdep_assert_held, lockdep_assert_held_write, mutex_init, mutex_lock, mutex_unlock, spin_lock_init } from './kernel.ts';
import type { kvm } from './kvm.ts';
import { ALIGN_DOWN, IS_ALIGNED, KVM_PAGES_PER_HPAGE, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, type gfn_t } from './levels.ts';
import type { kvm_mmu_page } from './mmu_page.ts';

export interface split_range {
  readonly start: gfn_t;
  readonly end: gfn_t;
  readonly target_level: number;
}

/** The only blocks that can hold a leaf crossing [start, end): for each huge level,
 * the block holding `start` and the one holding `end` when they are not aligned to
 * it, largest level first, each once. */
export function tdx_boundary_split_ranges(start: gfn_t, end: gfn_t): split_range[] {
  const out: split_range[] = [];
  for (const level of [PG_LEVEL_1G, PG_LEVEL_2M]) {
    const n = KVM_PAGES_PER_HPAGE(level);
    for (const x of [start, end]) {
      if (IS_ALIGNED(x, n)) continue;
      const base = ALIGN_DOWN(x, n);
      if (out.some((r) => r.start === base && r.target_level === level - 1)) continue;
      out.push({ start: base, end: base + n, target_level: level - 1 });
    }
  }
  return out;
}

/** Splits each block of `ranges` down to its target level with the existing API,
 * under write mmu_lock. */
export async function tdx_split_ranges(kvm: kvm, root: kvm_mmu_page, ranges: readonly split_range[]): Promise<number> {
  lockdep_assert_held_write(kvm.mmu_lock);
  for (const r of ranges) {
    const ret = await kvm.call.tdp_mmu_split_huge_pages_root(kvm, root, r.start, r.end, r.target_level, false, false);
    if (ret !== 0) return ret;
  }
  return 0;
}

// kvm_split_boundary_leafs(): v5 44/45's split of the unaligned head and tail before
// a conversion zaps [start, end), under write mmu_lock: split the head and tail
// blocks with the existing API, never walking the middle of the range (v3 overrides
// it with kvm_split_cross_boundary_leafs()'s walk).
export async function kvm_split_boundary_leafs(kvm: kvm, root: kvm_mmu_page, start: gfn_t, end: gfn_t): Promise<number> {
  return kvm.call.tdx_split_ranges(kvm, root, tdx_boundary_split_ranges(start, end));
}

// tdx_split_cache_topup(): DPAMT pages for each boundary block that may need a split
// (v5 44/45 tops up for the head and the tail).
export function tdx_split_cache_topup(kvm: kvm, start: gfn_t, end: gfn_t): number {
  let n = 0;
  for (const r of tdx_boundary_split_ranges(start, end)) {
    n += r.target_level === PG_LEVEL_4K ? kvm.call.tdx_min_split_cache_sz(kvm, PG_LEVEL_2M) : tdx_dpamt_entry_pages(kvm.host);
  }
  return n;
}

// tdx_split_cache_prepare(): lock the per-VM cache of DPAMT pages for splits without
// a vCPU and top it up with `pages` (may sleep), before mmu_lock. v5 44/45:
// kvm_tdx->pamt_cache under pamt_cache_lock, a mutex taken before mmu_lock "so that
// the PAMT cache can be topped-up as needed without needed to juggle" mmu_lock.
export async function tdx_split_cache_prepare(kvm: kvm, pages: number): Promise<number> {
  await mutex_lock(kvm.tdx.pamt_cache_lock);
  return kvm.call.tdx_topup_pamt_cache(kvm.tdx.pamt_cache, pages);
}

// tdx_split_cache_take(): under mmu_lock, from tdx_sept_split_private_spte(): up to
// `n` pages for splitting at `gfn`; returns how many it got.
export async function tdx_split_cache_take(kvm: kvm, n: number, gfn: gfn_t): Promise<number> {
  lockdep_assert_held(kvm.tdx.pamt_cache_lock);
  return kvm.call.tdx_alloc_pamt_pages(kvm, kvm.tdx.pamt_cache, n, gfn);
}

// tdx_split_cache_release(): after write_unlock(mmu_lock).
export async function tdx_split_cache_release(kvm: kvm): Promise<void> {
  await mutex_unlock(kvm.tdx.pamt_cache_lock);
}

// tdx_vm_init() in arch/x86/kvm/vmx/tdx.c, with v5 44/45 and the fix from its review.
export function tdx_vm_init(kvm: kvm): void {
  tdx_init_pamt_cache(kvm.tdx.pamt_cache);
  mutex_init(kvm.tdx.pamt_cache_lock);
  spin_lock_init(kvm.tdx.prealloc_split_cache_lock);
}
