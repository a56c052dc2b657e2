// TD exits KVM handles for private memory (arch/x86/kvm/vmx/tdx.c): EPT violations,
// with the local retry that keeps the guest from seeing repeated zero-step exits,
// and ACCEPTs at a smaller level than the mapping.
import { tdx_topup_pamt_cache } from './dpamt.ts';
import { EIO } from './errno.ts';
import { write_lock, write_unlock } from './kernel.ts';
import { gfn_round_for_level, KVM_PAGES_PER_HPAGE, PG_LEVEL_2M, type gfn_t } from './levels.ts';
import { kvm_mmu_page_fault, RET_PF_RETRY } from './mmu.ts';
import { tdp_mmu_split_huge_pages_root } from './tdp_mmu_split.ts';
import { tdx_min_split_cache_sz } from './tdx_sept.ts';
import { kvm_vcpu_retry, type kvm_vcpu } from './vcpu.ts';

// tdx_handle_ept_violation() in arch/x86/kvm/vmx/tdx.c: `max_level` is the guest's
// accept level when the exit came from TDG.MEM.PAGE.ACCEPT.
export async function tdx_handle_ept_violation(vcpu: kvm_vcpu, gfn: gfn_t, is_private: boolean, max_level: number): Promise<number> {
  return vcpu.kvm.model.op('tdx_handle_ept_violation', gfn, gfn + 1, false, async () => {
    // Only private GPA triggers zero-step mitigation.
    const local_retry = is_private;
    for (;;) {
      const since = vcpu.kvm.model.since();
      const ret = await kvm_mmu_page_fault(vcpu, gfn, is_private, max_level);
      if (ret !== RET_PF_RETRY || !local_retry) return ret;
      // kvm_check_request(KVM_REQ_VM_DEAD)
      if (vcpu.kvm.vm_bugged) return -EIO;
      await kvm_vcpu_retry(vcpu, gfn, 'RET_PF_RETRY', since);
    }
  });
}

// tdx_handle_mismatched_accept() (TDX huge pages v3, as fixed in review): the guest
// accepted at `accept_level` inside a larger mapping; split that mapping down to the
// accept level (hooks.split_for_accept).
export async function tdx_handle_mismatched_accept(vcpu: kvm_vcpu, gfn: gfn_t, accept_level: number): Promise<number> {
  const kvm = vcpu.kvm;
  const start = gfn_round_for_level(gfn, accept_level);
  const end = start + KVM_PAGES_PER_HPAGE(accept_level);
  return kvm.model.op('tdx_handle_mismatched_accept', start, end, false, () => kvm.hooks.split_for_accept(vcpu, gfn, accept_level));
}

/** Default split_for_accept: split the leaf down to the accept level under write
 * mmu_lock, with DPAMT pages from this vCPU's cache. Which root is split is an
 * extension point too (hooks.split_root; v5 41/45 split the normal root). */
export async function tdx_split_to_accept_level(vcpu: kvm_vcpu, gfn: gfn_t, accept_level: number): Promise<number> {
  const kvm = vcpu.kvm;
  const start = gfn_round_for_level(gfn, accept_level);
  const end = start + KVM_PAGES_PER_HPAGE(accept_level);
  let r = await tdx_topup_pamt_cache(vcpu.pamt_cache, tdx_min_split_cache_sz(kvm, PG_LEVEL_2M));
  if (r !== 0) return r;
  await write_lock(kvm.mmu_lock);
  r = await tdp_mmu_split_huge_pages_root(kvm, kvm.hooks.split_root(kvm), start, end, accept_level, false, false);
  await write_unlock(kvm.mmu_lock);
  return r;
}
