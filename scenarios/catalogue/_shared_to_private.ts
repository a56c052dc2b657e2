// Family: KVM_SET_MEMORY_ATTRIBUTES2 makes shared memory private while vcpu0 reads it.
// The conversion zaps the normal root's 4K mapping; vcpu0's TLB may hold it, so a
// kvm_flush_remote_tlbs() must follow the zap before the conversion returns.
// (Private zaps need no separate flush: REMOVE is preceded by BLOCK, TRACK and a
// kick, which flushes.)
import { fc, guest_access, KVM_MEMORY_ATTRIBUTE_PRIVATE, kvm_gmem_of, kvm_gmem_set_attributes, kvm_install_invariants, kvm_premap_shared, kvm_vcpu_thread, PG_LEVEL_2M } from 'septcheck';
import { check_in_leaf, P1G, P2M, td_create, type family } from './_td.ts';

export interface shared_to_private_params {
  /** Offset into the 2M block at GFN P1G of the shared page vcpu0 reads. */
  readonly read: number;
}

export const shared_to_private: family<shared_to_private_params> = {
  tracked: true,
  story: 'Shared 4K pages in the 2M block at GFN 0x40000, mapped in the normal root; vcpu0 reads 0x40010 while the block is converted to private.',
  params: { read: 0x10 },
  paramsArbitrary: () => fc.record({ read: fc.integer({ min: 0, max: 0x1ff }) }),
  validate: (p) => check_in_leaf('read', p.read, P1G, PG_LEVEL_2M),
  setup(run, v, p) {
    const vm = td_create(run, v, { private: false });
    kvm_premap_shared(vm, P1G + p.read);
    kvm_install_invariants(vm);
    kvm_vcpu_thread(vm.vcpus[0]!, (vcpu) => guest_access(vcpu, P1G + p.read, false));
    vm.k.kthread('set_attributes', () => kvm_gmem_set_attributes(kvm_gmem_of(vm), P1G, P1G + P2M, KVM_MEMORY_ATTRIBUTE_PRIVATE));
  },
};
