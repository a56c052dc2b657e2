// Family: vcpu0 ACCEPTs a 4K page inside a private 2M leaf KVM mapped before the guest
// accepted anything (the guest touched it first), while vcpu1 writes an accepted
// neighbouring leaf. The ACCEPT is smaller than the mapping, so the TDX module exits
// with the accept level and KVM must split the mirror leaf down to 4K
// (tdx_handle_mismatched_accept()).
import { fc, guest_access, kvm_install_invariants, kvm_vcpu_thread, PG_LEVEL_2M, PG_LEVEL_4K, tdx_premap_private, try_accept_one } from 'septcheck';
import { check_in_leaf, first_problem, P1G, P2M, td_create, type family } from './_td.ts';

export interface accept_params {
  /** Offset into the pending 2M leaf at GFN P1G that vcpu0 accepts at 4K. */
  readonly accept: number;
  /** Offset into the accepted 2M leaf at GFN P1G + P2M that vcpu1 writes. */
  readonly write: number;
}

export const mismatched_accept: family<accept_params> = {
  tracked: true,
  story: 'A pending private 2M leaf at GFN 0x40000 and an accepted one at 0x40200; vcpu0 accepts 0x40100 at 4K while vcpu1 writes 0x40205.',
  params: { accept: 0x100, write: 0x5 },
  paramsArbitrary: () => fc.record({ accept: fc.integer({ min: 0, max: 0x1ff }), write: fc.integer({ min: 0, max: 0x1ff }) }),
  validate: (p) => first_problem(check_in_leaf('accept', p.accept, P1G, PG_LEVEL_2M), check_in_leaf('write', p.write, P1G + P2M, PG_LEVEL_2M)),
  setup(run, v, p) {
    const vm = td_create(run, v, { nr_vcpus: 2 });
    tdx_premap_private(vm, P1G, PG_LEVEL_2M, { accepted: false });
    tdx_premap_private(vm, P1G + P2M, PG_LEVEL_2M);
    kvm_install_invariants(vm);
    kvm_vcpu_thread(vm.vcpus[0]!, (vcpu) => try_accept_one(vcpu, P1G + p.accept, PG_LEVEL_4K));
    kvm_vcpu_thread(vm.vcpus[1]!, (vcpu) => guest_access(vcpu, P1G + P2M + p.write, true, true));
  },
};
