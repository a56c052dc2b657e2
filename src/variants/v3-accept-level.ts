// The mismatched-accept caller of kvm_split_cross_boundary_leafs(), as v3 posted it:
// "[PATCH v3 13/24] KVM: TDX: Honor the guest's accept level contained in an EPT
// violation", Yan Zhao, Tue, 6 Jan 2026 18:22:07 +0800. The range is the
// level-aligned block around the GFN, so only a larger leaf can cross it.
import { write_lock, write_unlock } from '../kernel/index.ts';
import {
  gfn_round_for_level,
  KVM_FILTER_PRIVATE,
  KVM_PAGES_PER_HPAGE,
  PG_LEVEL_2M,
  PG_LEVEL_4K,
  tdx_min_split_cache_sz,
  tdx_topup_pamt_cache,
  type gfn_t,
  type kvm_gfn_range,
  type kvm_vcpu,
} from '../kvm/index.ts';
import { kvm_split_cross_boundary_leafs } from './v3-split.ts';

// tdx_honor_guest_accept_level() in arch/x86/kvm/vmx/tdx.c (v3 13/24)
export async function tdx_honor_guest_accept_level(vcpu: kvm_vcpu, gfn: gfn_t, level: number): Promise<number> {
  const kvm = vcpu.kvm;
  if (level !== PG_LEVEL_4K && level !== PG_LEVEL_2M) return 0;
  const base_gfn = gfn_round_for_level(gfn, level);
  const gfn_range: kvm_gfn_range = {
    start: base_gfn,
    end: base_gfn + KVM_PAGES_PER_HPAGE(level),
    slot: kvm.memslot,
    may_block: true,
    attr_filter: KVM_FILTER_PRIVATE,
  };
  // The split draws DPAMT pages from this vCPU's cache; fill it before mmu_lock.
  let ret = await tdx_topup_pamt_cache(vcpu.pamt_cache, tdx_min_split_cache_sz(kvm, PG_LEVEL_2M));
  if (ret !== 0) return ret;
  // scoped_guard(write_lock, &kvm->mmu_lock). No kvm_flush_remote_tlbs() after the
  // split: BLOCK + TRACK + kick in tdx_sept_split_private_spte() flushed, and the
  // fault path never cached the old huge translation.
  await write_lock(kvm.mmu_lock);
  ret = await kvm_split_cross_boundary_leafs(kvm, gfn_range, false);
  await write_unlock(kvm.mmu_lock);
  return ret;
}
