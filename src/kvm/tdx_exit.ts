// TD exits KVM handles for private memory (arch/x86/kvm/vmx/tdx.c): EPT violations,
// with the local retry that keeps the guest from seeing repeated zero-step exits,
// and ACCEPTs at a smaller level than the mapping.
import { EIO } from './errno.ts';
import { write_lock, write_unlock } from './kernel.ts';
import { gfn_round_for_level, KVM_PAGES_PER_HPAGE, PG_LEVEL_2M, type gfn_t } from './levels.ts';
import { RET_PF_RETRY } from './mmu.ts';
import { type kvm_vcpu } from './vcpu.ts';

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
