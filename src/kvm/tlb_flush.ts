// Remote TLB flushes (virt/kvm/kvm_main.c kvm_flush_remote_tlbs(); for a TD,
// arch/x86/kvm/vmx/tdx.c): bump the TD's TLB epoch and kick every vCPU out of the
// guest; a vCPU's TLB is flushed when it leaves the guest.
import type { kvm } from './kvm.ts';
import { KVM_REQ_TLB_FLUSH } from './vcpu.ts';

// kvm_flush_remote_tlbs() in virt/kvm/kvm_main.c
export async function kvm_flush_remote_tlbs(kvm: kvm): Promise<void> {
  await kvm.call.tdh_mem_track(kvm.tdx.td);
  await kvm.call.kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH);
}
