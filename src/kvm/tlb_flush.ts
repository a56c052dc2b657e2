// Remote TLB flushes (virt/kvm/kvm_main.c kvm_flush_remote_tlbs(); for a TD,
// arch/x86/kvm/vmx/tdx.c): bump the TD's TLB epoch and kick every vCPU out of the
// guest; a vCPU's TLB is flushed when it leaves the guest.
import type { kvm } from './kvm.ts';
import { tdh_mem_track } from './tdx_module.ts';
import { kvm_make_all_cpus_request, KVM_REQ_TLB_FLUSH } from './vcpu.ts';

// kvm_flush_remote_tlbs() in virt/kvm/kvm_main.c
export async function kvm_flush_remote_tlbs(kvm: kvm): Promise<void> {
  await tdh_mem_track(kvm.tdx.td);
  await kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH);
}
