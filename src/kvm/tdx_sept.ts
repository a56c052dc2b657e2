// KVM's side of the S-EPT (arch/x86/kvm/vmx/tdx.c): the kvm_x86_ops hooks the TDP MMU
// calls when it changes the mirror root, each a sequence of SEAMCALLs, with the
// Dynamic PAMT bookkeeping around them.
import { tdx_dpamt_entry_pages, tdx_pamt_cache } from './dpamt.ts';
import { EIO } from './errno.ts';
import { KVM_BUG_ON, lockdep_assert_held, lockdep_assert_held_write, spin_lock_bh, spin_unlock_bh } from './kernel.ts';
import type { kvm } from './kvm.ts';
import { PG_LEVEL_2M, PG_LEVEL_4K, SPTE_ENT_PER_PAGE, level_name, fmt_gfn, type gfn_t, type kvm_pfn_t } from './levels.ts';
import type { kvm_mmu_page } from './mmu_page.ts';
import { TDX_SUCCESS } from './tdx_module.ts';
import { kvm_get_running_vcpu, KVM_REQ_OUTSIDE_GUEST_MODE } from './vcpu.ts';

function where(gfn: gfn_t, level: number): string {
  return `gfn ${fmt_gfn(gfn)} level ${level_name(level)}`;
}

// tdx_track() in arch/x86/kvm/vmx/tdx.c: bump the TD epoch, then kick every vCPU out
// of the guest so none still runs with translations from before it.
export async function tdx_track(kvm: kvm): Promise<void> {
  lockdep_assert_held_write(kvm.mmu_lock);
  await kvm.call.tdh_mem_track(kvm.tdx.td);
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
// mirror table; its S-EPT page needs DPAMT first.
export async function tdx_sept_link_private_spt(kvm: kvm, gfn: gfn_t, level: number, sp: kvm_mmu_page): Promise<number> {
  lockdep_assert_held(kvm.mmu_lock);
  const page = sp.external_spt!;
  const cache = await kvm.call.tdx_pamt_cache_for(kvm, tdx_dpamt_entry_pages(kvm.host), gfn);
  if ((await kvm.call.tdx_pamt_get(kvm, page, cache, gfn)) !== 0) return -EIO;
  const err = await kvm.call.tdh_mem_sept_add(kvm.tdx.td, gfn, level, page);
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_sept_add(${where(gfn, level)}) = ${err}`)) {
    await kvm.call.tdx_pamt_put(kvm, page, gfn);
    return -EIO;
  }
  sp.external_spt_pamt = true;
  return 0;
}

// tdx_sept_set_private_spte() in arch/x86/kvm/vmx/tdx.c: TDH.MEM.PAGE.AUG, with the
// 4K PAMT of the page's region taken first for a 4K page.
export async function tdx_sept_set_private_spte(kvm: kvm, gfn: gfn_t, level: number, pfn: kvm_pfn_t): Promise<number> {
  lockdep_assert_held(kvm.mmu_lock);
  const dpamt = level === PG_LEVEL_4K;
  if (dpamt) {
    const cache = await kvm.call.tdx_pamt_cache_for(kvm, tdx_dpamt_entry_pages(kvm.host), gfn);
    if ((await kvm.call.tdx_pamt_get(kvm, pfn, cache, gfn)) !== 0) return -EIO;
  }
  const err = await kvm.call.tdh_mem_page_aug(kvm.tdx.td, gfn, level, pfn);
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_page_aug(${where(gfn, level)}) = ${err}`)) {
    if (dpamt) await kvm.call.tdx_pamt_put(kvm, pfn, gfn);
    return -EIO;
  }
  return 0;
}

// tdx_sept_remove_private_spte() in arch/x86/kvm/vmx/tdx.c: BLOCK, TRACK, REMOVE.
// The page's contents are gone afterwards.
export async function tdx_sept_remove_private_spte(kvm: kvm, gfn: gfn_t, level: number, pfn: kvm_pfn_t): Promise<number> {
  lockdep_assert_held_write(kvm.mmu_lock);
  const td = kvm.tdx.td;
  // tdx_sept_zap_private_spte()
  let err = await kvm.call.tdh_mem_range_block(td, gfn, level);
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_range_block(${where(gfn, level)}) = ${err}`)) return -EIO;
  // TDX requires TLB tracking before dropping private page.
  await kvm.call.tdx_track(kvm);
  // tdx_sept_drop_private_spte()
  err = await kvm.call.tdh_mem_page_remove(td, gfn, level);
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_page_remove(${where(gfn, level)}) = ${err}`)) return -EIO;
  if (level === PG_LEVEL_4K) await kvm.call.tdx_pamt_put(kvm, pfn, gfn);
  return 0;
}

// tdx_sept_split_private_spte() (v3 "TDX: Implement split of S-EPT huge pages"):
// BLOCK, TRACK, DEMOTE into the new table `sp`, with DPAMT pages for the table page
// and for the 4K PAMT of the demoted range. An empty cache makes DEMOTE fail.
export async function tdx_sept_split_private_spte(kvm: kvm, gfn: gfn_t, level: number, pfn: kvm_pfn_t, sp: kvm_mmu_page): Promise<number> {
  lockdep_assert_held(kvm.mmu_lock);
  const td = kvm.tdx.td;
  const host = kvm.host;
  let err = await kvm.call.tdh_mem_range_block(td, gfn, level);
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_range_block(${where(gfn, level)}) = ${err}`)) return -EIO;
  await kvm.call.tdx_track(kvm);
  const to_4k = level === PG_LEVEL_2M && host.pamt.dynamic;
  const cache = await kvm.call.tdx_pamt_cache_for(kvm, to_4k ? kvm.call.tdx_min_split_cache_sz(kvm, level) : tdx_dpamt_entry_pages(host), gfn);
  // PAMT pages for the demoted range, then DPAMT for the new S-EPT table page.
  const pamt_pages = to_4k ? kvm.call.tdx_alloc_pamt_pages(kvm, cache, tdx_dpamt_entry_pages(host), gfn) : 0;
  const page = sp.external_spt!;
  if ((await kvm.call.tdx_pamt_get(kvm, page, cache, gfn)) === 0) sp.external_spt_pamt = true;
  await spin_lock_bh(host.pamt_lock);
  err = await kvm.call.tdh_mem_page_demote(td, gfn, level, page, pamt_pages);
  // The demoted range's 4K pages all use its 4K PAMT now.
  if (err === TDX_SUCCESS && to_4k) host.set_refcount(pfn, SPTE_ENT_PER_PAGE, gfn);
  await spin_unlock_bh(host.pamt_lock);
  if (KVM_BUG_ON(err !== TDX_SUCCESS, kvm, `tdh_mem_page_demote(${where(gfn, level)}) = ${err}`)) return -EIO;
  return 0;
}
