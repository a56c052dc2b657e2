// Extension points for the patch variants under review. Each is a place where the
// series on the list disagree; the defaults (defaults.ts) are the correct behaviour.
// A variant overrides one field and keeps the rest, without copying model code.
import type { kvm } from './kvm.ts';
import type { gfn_t } from './levels.ts';
import type { kvm_mmu_page } from './mmu_page.ts';
import type { tdp_iter } from './tdp_iter.ts';
import type { kvm_vcpu } from './vcpu.ts';

/** How the per-VM cache of DPAMT pages for splits without a vCPU is guarded. */
export interface tdx_split_cache_ops {
  /** Before write_lock(mmu_lock): lock (if the scheme locks outside) and top up
   * `pages` (may sleep). */
  prepare(kvm: kvm, pages: number): Promise<number>;
  /** Under mmu_lock, from tdx_sept_split_private_spte(): take up to `n` pages for
   * splitting at `gfn`; returns how many it got. */
  take(kvm: kvm, n: number, gfn: gfn_t): Promise<number>;
  /** After write_unlock(mmu_lock). */
  release(kvm: kvm): Promise<void>;
}

export interface kvm_tdx_hooks {
  /** Root the TDX splits operate on (mismatched accept, conversion, memory failure).
   * Correct: the mirror root. RFC v5 41/45's tdx_handle_mismatched_accept() used
   * kvm_tdp_mmu_split_huge_pages(), i.e. the normal root. */
  split_root(kvm: kvm): kvm_mmu_page;
  /** Split leaves that cross the range boundary before zapping it. Without, the
   * zap removes whole huge leaves and GFNs outside the range lose their memory. */
  split_before_zap: boolean;
  /** How the crossing leaves of [start, end) are found and split, under
   * write_lock(mmu_lock). Default: head/tail arithmetic (O(1) walks); v3: the
   * only_cross_boundary walk over the whole range
   * (kvm_tdp_mmu_gfn_range_split_cross_boundary_leafs). Returns 0 or -errno. */
  split_boundary(kvm: kvm, root: kvm_mmu_page, start: gfn_t, end: gfn_t): Promise<number>;
  /** DPAMT pages to top up before splitting [start, end) without a vCPU. */
  split_cache_topup(kvm: kvm, start: gfn_t, end: gfn_t): number;
  /** Where the split cache is locked and how it is topped up and drained. */
  split_cache: tdx_split_cache_ops;
  /** Flush remote TLBs after a zap that reported a flush. */
  flush_after_zap: boolean;
  /** PUNCH_HOLE on hugetlb/THP backing rejects ranges not aligned to the huge
   * page size with -EINVAL (so it never needs a split). */
  punch_hole_requires_alignment: boolean;
  /** tdx_vm_init(): sets up the per-VM PAMT cache and its mutex. */
  tdx_vm_init(kvm: kvm): void;
  /** How tdx_handle_mismatched_accept() splits the leaf holding `gfn` down to the
   * guest's accept level. Default: tdp_mmu_split_huge_pages_root() on split_root
   * (Sean on v3 11/24); v3 13/24: tdx_honor_guest_accept_level(). Returns 0 or -errno. */
  split_for_accept(vcpu: kvm_vcpu, gfn: gfn_t, accept_level: number): Promise<number>;
  /** How tdp_mmu_split_huge_page() replaces the huge leaf with the populated table.
   * Default tdp_mmu_link_sp(): a cmpxchg under shared mmu_lock, so of two splitters
   * of one leaf one wins and the other, refreshed, finds a table and moves on. */
  split_link_sp(kvm: kvm, iter: tdp_iter, sp: kvm_mmu_page, shared: boolean): Promise<number>;
}
