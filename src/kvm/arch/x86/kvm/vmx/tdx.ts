// arch/x86/kvm/vmx/tdx.c
// KVM's side of the S-EPT (arch/x86/kvm/vmx/tdx.c): the kvm_x86_ops hooks the TDP MMU
// calls when it changes the mirror root, each a sequence of SEAMCALLs, with the
// Dynamic PAMT bookkeeping around them.
import { ALIGN_DOWN, fmt_gfn, gfn_round_for_level, type gfn_t, IS_ALIGNED, KVM_PAGES_PER_HPAGE, type kvm_pfn_t, level_name, PG_LEVEL_1G, PG_LEVEL_2M, PG_LEVEL_4K, SPTE_ENT_PER_PAGE } from '../../include/asm/kvm_host.ts';
import type { kvm_mmu_page } from '../mmu/mmu_internal.ts';
import { RET_PF_RETRY } from '../mmu/mmu.ts';
import { kvm_get_running_vcpu, KVM_REQ_OUTSIDE_GUEST_MODE, type kvm_vcpu } from '../x86.ts';
import { TDX_SUCCESS, tdx_operand_busy, type tdx_status } from '../../virt/vmx/tdx/tdx_module.ts';
import { tdx_dpamt_entry_pages, tdx_find_pamt_refcount, tdx_init_pamt_cache, tdx_pamt_cache } from '../../virt/vmx/tdx/tdx.ts';
import { EIO, EOPNOTSUPP, EBUSY } from '../../../../include/uapi/asm-generic/errno.ts';
import { type kvm, KVM_MEMSLOT_INVALID } from '../../../../include/linux/kvm_host.ts';
import { atomic_set, KVM_BUG_ON, WARN_ON_ONCE, lockdep_assert_held, lockdep_assert_held_write, mutex_init, mutex_lock, mutex_unlock, spin_lock, spin_lock_init, spin_unlock, write_lock, write_unlock } from '../../../../model/kernel.ts';

function where(gfn: gfn_t, level: number): string {
  return `gfn ${fmt_gfn(gfn)} level ${level_name(level)}`;
}

// tdh_do_no_vcpus() in arch/x86/kvm/vmx/tdx.c (a macro there): issue `seamcall`; on
// TDX_OPERAND_BUSY set wait_for_sept_zap, kick every vCPU out of the guest and issue it
// once more. "All flows that remove/block S-EPT entries run with mmu_lock held for
// write ... but they aren't mutually exclusive with running vCPUs, and so can fail
// with "operand busy" ... the retry is guaranteed to succeed, absent KVM and/or
// TDX-Module bugs." Any other status goes back to the caller as it is.
export async function tdh_do_no_vcpus(kvm: kvm, seamcall: () => Promise<tdx_status>): Promise<tdx_status> {
  lockdep_assert_held_write(kvm.mmu_lock);
  let err = await seamcall();
  if (tdx_operand_busy(err)) {
    kvm.tdx.td.wait_for_sept_zap = true;
    await kvm.call.kvm_make_all_cpus_request(kvm, KVM_REQ_OUTSIDE_GUEST_MODE);
    err = await seamcall();
    kvm.tdx.td.wait_for_sept_zap = false;
  }
  return err;
}

// tdx_track() in arch/x86/kvm/vmx/tdx.c: bump the TD epoch, then kick every vCPU out
// of the guest so none still runs with translations from before it.
export async function tdx_track(kvm: kvm): Promise<void> {
  lockdep_assert_held_write(kvm.mmu_lock);
  const err = await kvm.call.tdh_do_no_vcpus(kvm, () => kvm.call.tdh_mem_track(kvm.tdx.td));
  KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_track() = ${err}`);
  await kvm.call.kvm_make_all_cpus_request(kvm, KVM_REQ_OUTSIDE_GUEST_MODE);
}

/** Where DPAMT pages come from: the running vCPU's own cache, or, for work without
 * a vCPU, up to `n` pages taken from the per-VM cache (tdx_split_cache_take() says how
 * that cache is locked). */
export async function tdx_pamt_cache_for(kvm: kvm, n: number, gfn: gfn_t): Promise<tdx_pamt_cache> {
  const vcpu = kvm_get_running_vcpu(kvm);
  if (vcpu !== null) return vcpu.pamt_cache;
  const local = new tdx_pamt_cache('pamt_cache', null);
  local.cnt = await kvm.call.tdx_split_cache_take(kvm, n, gfn);
  return local;
}

// tdx_min_split_cache_sz() (v3 20/24): DPAMT pages one split needs.
export function tdx_min_split_cache_sz(kvm: kvm, level: number): number {
  KVM_BUG_ON(level !== PG_LEVEL_2M, kvm, 'tdx_min_split_cache_sz(): level != PG_LEVEL_2M');
  return tdx_dpamt_entry_pages(kvm.host) * 2;
}

// tdx_sept_link_private_spt() in arch/x86/kvm/vmx/tdx.c: TDH.MEM.SEPT.ADD for a new
// mirror table; its S-EPT page needs DPAMT first. A busy module is -EBUSY ("if
// (unlikely(tdx_operand_busy(err))) return -EBUSY;"): the fault retries.
export async function tdx_sept_link_private_spt(kvm: kvm, gfn: gfn_t, level: number, sp: kvm_mmu_page): Promise<number> {
  lockdep_assert_held(kvm.mmu_lock);
  const page = sp.external_spt!;
  const cache = await kvm.call.tdx_pamt_cache_for(kvm, tdx_dpamt_entry_pages(kvm.host), gfn);
  if ((await kvm.call.tdx_pamt_get(kvm, page, cache, gfn)) !== 0) return -EIO;
  const err = await kvm.call.tdh_mem_sept_add(kvm.tdx.td, gfn, level, page);
  if (tdx_operand_busy(err)) {
    await kvm.call.tdx_pamt_put(kvm, page, gfn);
    return -EBUSY;
  }
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_sept_add(${where(gfn, level)}) = ${err}`)) {
    await kvm.call.tdx_pamt_put(kvm, page, gfn);
    return -EIO;
  }
  sp.external_spt_pamt = true;
  return 0;
}

// tdx_sept_set_private_spte() in arch/x86/kvm/vmx/tdx.c: TDH.MEM.PAGE.AUG, with the
// 4K PAMT of the page's region taken first for a 4K page; a busy module is -EBUSY
// (tdx_mem_page_aug()), the PAMT reference given back.
export async function tdx_sept_set_private_spte(kvm: kvm, gfn: gfn_t, level: number, pfn: kvm_pfn_t): Promise<number> {
  lockdep_assert_held(kvm.mmu_lock);
  const dpamt = level === PG_LEVEL_4K;
  if (dpamt) {
    const cache = await kvm.call.tdx_pamt_cache_for(kvm, tdx_dpamt_entry_pages(kvm.host), gfn);
    if ((await kvm.call.tdx_pamt_get(kvm, pfn, cache, gfn)) !== 0) return -EIO;
  }
  const err = await kvm.call.tdh_mem_page_aug(kvm.tdx.td, gfn, level, pfn);
  if (tdx_operand_busy(err)) {
    if (dpamt) await kvm.call.tdx_pamt_put(kvm, pfn, gfn);
    return -EBUSY;
  }
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_page_aug(${where(gfn, level)}) = ${err}`)) {
    if (dpamt) await kvm.call.tdx_pamt_put(kvm, pfn, gfn);
    return -EIO;
  }
  return 0;
}

// tdx_sept_remove_private_spte() in arch/x86/kvm/vmx/tdx.c: BLOCK, TRACK, REMOVE, the
// SEAMCALLs through tdh_do_no_vcpus(). The page's contents are gone afterwards.
export async function tdx_sept_remove_private_spte(kvm: kvm, gfn: gfn_t, level: number, pfn: kvm_pfn_t): Promise<number> {
  lockdep_assert_held_write(kvm.mmu_lock);
  const td = kvm.tdx.td;
  // tdx_sept_zap_private_spte()
  let err = await kvm.call.tdh_do_no_vcpus(kvm, () => kvm.call.tdh_mem_range_block(td, gfn, level));
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_range_block(${where(gfn, level)}) = ${err}`)) return -EIO;
  // TDX requires TLB tracking before dropping private page.
  await kvm.call.tdx_track(kvm);
  // tdx_sept_drop_private_spte()
  err = await kvm.call.tdh_do_no_vcpus(kvm, () => kvm.call.tdh_mem_page_remove(td, gfn, level));
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_page_remove(${where(gfn, level)}) = ${err}`)) return -EIO;
  if (level === PG_LEVEL_4K) await kvm.call.tdx_pamt_put(kvm, pfn, gfn);
  return 0;
}

// tdx_sept_reclaim_private_spt() in arch/x86/kvm/vmx/tdx.c (kvm_x86_ops.reclaim_external_spt,
// Sean Christopherson's x86/tdx_huge_sept_alt, "Re: [RFC PATCH v5 20/45]", 9 Feb 2026,
// with Yan Zhao's reply of 10 Feb 2026): an S-EPT page the TDX module no longer links
// gives back its DPAMT reference at once, in process context, so pamt_lock is never
// taken from the RCU callback that frees the table (RFC v5 20/45 did that, and
// lockdep saw pamt_lock taken in softirq and with softirqs on).
export async function tdx_sept_reclaim_private_spt(kvm: kvm, gfn: gfn_t, sp: kvm_mmu_page): Promise<void> {
  if (sp.external_spt === null || !sp.external_spt_pamt) return;
  sp.external_spt_pamt = false;
  await kvm.call.tdx_pamt_put(kvm, sp.external_spt, gfn);
}

// tdx_sept_split_private_spte() (v3 09/24 "KVM: TDX: Enable huge page splitting under
// write mmu_lock"; RFC v5 39/45): BLOCK, TRACK, DEMOTE into the new table `sp`, BLOCK
// and DEMOTE through tdh_do_no_vcpus(), any failure TDX_BUG_ON (-EIO), with DPAMT pages
// for the table page and for the 4K PAMT of the demoted range. An empty cache makes
// DEMOTE fail. Under shared mmu_lock it refuses (v3 10/24 "KVM: x86: Reject splitting
// huge pages under shared mmu_lock in TDX"; RFC v5 asserts the write lock): a BUSY
// from DEMOTE there would need TDH.MEM.RANGE.UNBLOCK, which may be BUSY too.
export async function tdx_sept_split_private_spte(kvm: kvm, gfn: gfn_t, level: number, pfn: kvm_pfn_t, sp: kvm_mmu_page, shared: boolean): Promise<number> {
  lockdep_assert_held(kvm.mmu_lock);
  if (WARN_ON_ONCE(shared, `Splitting of GFN ${fmt_gfn(gfn)} level ${level_name(level)} under shared lock occurs when KVM does not support it yet`)) return -EOPNOTSUPP;
  const td = kvm.tdx.td;
  const host = kvm.host;
  let err = await kvm.call.tdh_do_no_vcpus(kvm, () => kvm.call.tdh_mem_range_block(td, gfn, level));
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_range_block(${where(gfn, level)}) = ${err}`)) return -EIO;
  await kvm.call.tdx_track(kvm);
  const to_4k = level === PG_LEVEL_2M && host.pamt.dynamic;
  const cache = await kvm.call.tdx_pamt_cache_for(kvm, to_4k ? kvm.call.tdx_min_split_cache_sz(kvm, level) : tdx_dpamt_entry_pages(host), gfn);
  // PAMT pages for the demoted range, then DPAMT for the new S-EPT table page.
  let pamt_pages = to_4k ? kvm.call.tdx_alloc_pamt_pages(kvm, cache, tdx_dpamt_entry_pages(host), gfn) : 0;
  const page = sp.external_spt!;
  if ((await kvm.call.tdx_pamt_get(kvm, page, cache, gfn)) === 0) sp.external_spt_pamt = true;
  await spin_lock(host.pamt_lock);
  let attempts = 0;
  err = await kvm.call.tdh_do_no_vcpus(kvm, () => {
    // alloc_pamt_array() in the tdh_mem_page_demote() wrapper (RFC v5 37/45) takes the
    // pages from the cache at every call and frees them when DEMOTE fails: a retry
    // takes new ones.
    if (attempts++ > 0 && to_4k) pamt_pages = kvm.call.tdx_alloc_pamt_pages(kvm, cache, tdx_dpamt_entry_pages(host), gfn);
    return kvm.call.tdh_mem_page_demote(td, gfn, level, page, pamt_pages);
  });
  // The demoted range's 4K pages all use its 4K PAMT now ("x86/tdx: Pass guest
  // memory's PFN info to demote for updating pamt_refcount", v3).
  if (err === TDX_SUCCESS && to_4k) {
    host.note_gfn(pfn, gfn);
    await atomic_set(tdx_find_pamt_refcount(host, pfn), SPTE_ENT_PER_PAGE);
  }
  await spin_unlock(host.pamt_lock);
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_page_demote(${where(gfn, level)}) = ${err}`)) return -EIO;
  return 0;
}

// TD exits KVM handles for private memory (arch/x86/kvm/vmx/tdx.c): EPT violations,
// with the local retry that keeps the guest from seeing repeated zero-step exits,
// and ACCEPTs at a smaller level than the mapping.

// tdx_handle_ept_violation() in arch/x86/kvm/vmx/tdx.c: `max_level` is the guest's
// accept level when the exit came from TDG.MEM.PAGE.ACCEPT.
export async function tdx_handle_ept_violation(vcpu: kvm_vcpu, gfn: gfn_t, is_private: boolean, max_level: number): Promise<number> {
  return vcpu.kvm.model.op('tdx_handle_ept_violation', gfn, gfn + 1, false, async () => {
    // Only private GPA triggers zero-step mitigation.
    const local_retry = is_private;
    for (;;) {
      const since = vcpu.kvm.model.since();
      const ret = await vcpu.kvm.call.kvm_mmu_page_fault(vcpu, gfn, is_private, max_level);
      if (ret !== RET_PF_RETRY || !local_retry) return ret;
      // kvm_check_request(KVM_REQ_VM_DEAD)
      if (vcpu.kvm.vm_bugged) return -EIO;
      // Bail if the memslot is invalid, i.e. is being deleted, as faulting in will
      // never succeed and this task needs to drop SRCU to let the deletion complete
      // (KVM x86 MMU changes for 6.18: "Don't retry in TDX's anti-zero-step
      // mitigation if the target memslot is invalid").
      const slot = vcpu.kvm.call.kvm_vcpu_gfn_to_memslot(vcpu, gfn);
      if (slot !== null && (slot.flags & KVM_MEMSLOT_INVALID) !== 0) return ret;
      await vcpu.kvm.call.kvm_vcpu_retry(vcpu, gfn, 'RET_PF_RETRY', since);
    }
  });
}

// tdx_handle_mismatched_accept() (TDX huge pages v3, as fixed in review): the guest
// accepted at `accept_level` inside a larger mapping; split that mapping down to the
// accept level (tdx_split_to_accept_level(), which v3 13/24 replaces).
export async function tdx_handle_mismatched_accept(vcpu: kvm_vcpu, gfn: gfn_t, accept_level: number): Promise<number> {
  const kvm = vcpu.kvm;
  const start = gfn_round_for_level(gfn, accept_level);
  const end = start + KVM_PAGES_PER_HPAGE(accept_level);
  return kvm.model.op('tdx_handle_mismatched_accept', start, end, false, () => kvm.call.tdx_split_to_accept_level(vcpu, gfn, accept_level));
}

// tdx_split_to_accept_level(): split the leaf down to the accept level on the mirror
// root (Sean on v3 11/24: "Just expose tdp_mmu_split_huge_pages_root()"), under write
// mmu_lock, with DPAMT pages from this vCPU's cache.
export async function tdx_split_to_accept_level(vcpu: kvm_vcpu, gfn: gfn_t, accept_level: number): Promise<number> {
  const kvm = vcpu.kvm;
  const start = gfn_round_for_level(gfn, accept_level);
  const end = start + KVM_PAGES_PER_HPAGE(accept_level);
  let r = await kvm.call.tdx_topup_pamt_cache(vcpu.pamt_cache, kvm.call.tdx_min_split_cache_sz(kvm, PG_LEVEL_2M));
  if (r !== 0) return r;
  await write_lock(kvm.mmu_lock);
  r = await kvm.call.kvm_tdp_mmu_mirrors_split_huge_pages(kvm, start, end, accept_level);
  await write_unlock(kvm.mmu_lock);
  return r;
}

// Splitting the mirror root before a conversion or a memory failure removes part of
// a huge page (v3 review: Kai Huang's and Sean Christopherson's head/tail arithmetic;
// v5 44/45: the per-VM PAMT cache under a mutex taken outside mmu_lock). These are
// the functions a variant overrides to do them its own way.

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
