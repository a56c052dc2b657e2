// Family: two invalidations of one TD in progress at once, from contexts whose outer
// locks do not exclude each other, and a vCPU fault. KVM_SET_MEMORY_ATTRIBUTES
// converts GFN 0x40010 from private to shared (kvm->slots_lock), PUNCH_HOLE frees GFN
// 0x40100 (filemap_invalidate_lock), and vcpu0 accepts 0x40010, which nothing maps
// yet (its page tables exist), so KVM faults it in as private. The fault looks up the
// PFN, then rechecks under mmu_lock whether an invalidation covers the GFN or the
// sequence moved (is_page_fault_stale()); the conversion zaps the GFN between the two.
//
// The private_attr check: once every thread is done, every private leaf the mirror
// root maps lies on GFNs whose attribute is private (a private S-EPT leaf on a shared
// GFN is memory the conversion should have taken away from the guest).
import { fc, FALLOC_FL_PUNCH_HOLE, fmt_gfn, kvm_gmem_fallocate, kvm_gmem_of, kvm_install_invariants, kvm_mem_is_private, kvm_mirror_root, kvm_vcpu_thread, kvm_vm_set_mem_attributes, level_name, PG_LEVEL_4K, tdp_mmu_leaves, tdx_premap_private, try_accept_one, type kvm } from 'septcheck';
import { P1G, P2M, td_create, type family } from './_td.ts';

export interface overlapping_invalidations_params {
  /** PUNCH_HOLE runs (the third thread); without it the scenario has two threads. */
  readonly punch_hole: boolean;
}

/** The private_attr check of `vm`. */
function install_private_attr_invariant(vm: kvm): void {
  vm.run.invariant('private_attr', () => {
    if (!vm.run.allDone()) return null;
    for (const l of tdp_mmu_leaves(kvm_mirror_root(vm), P1G, P1G + P2M)) {
      if (l.spte !== null && !kvm_mem_is_private(vm, l.gfn)) return `the mirror root maps shared GFN ${fmt_gfn(l.gfn)} with a private ${level_name(l.level)} leaf once every thread is done`;
    }
    return null;
  });
}

/** The GFN converted and faulted, and the one punched. */
const CONVERT = P1G + 0x10;
const HOLE = P1G + 0x100;

export const overlapping_invalidations: family<overlapping_invalidations_params> = {
  tracked: true,
  story: 'Private memory at GFN 0x40000 on 4K folios, only 0x40000 mapped (4K); KVM_SET_MEMORY_ATTRIBUTES makes 0x40010 shared while PUNCH_HOLE frees 0x40100 and vcpu0 accepts 0x40010.',
  params: { punch_hole: true },
  paramsArbitrary: () => fc.record({ punch_hole: fc.boolean() }),
  validate: (p) => (typeof p.punch_hole === 'boolean' ? null : `params.punch_hole: ${String(p.punch_hole)} is not a boolean`),
  setup(run, v, p) {
    const vm = td_create(run, v, { backing: 'none' });
    // The page tables down to 4K exist (a neighbour page is mapped): the fault only AUGs.
    tdx_premap_private(vm, P1G, PG_LEVEL_4K);
    kvm_install_invariants(vm);
    install_private_attr_invariant(vm);
    kvm_vcpu_thread(vm.vcpus[0]!, (vcpu) => try_accept_one(vcpu, CONVERT, PG_LEVEL_4K));
    vm.k.kthread('set_attributes', () => kvm_vm_set_mem_attributes(vm, CONVERT, CONVERT + 1, 0));
    if (p.punch_hole) vm.k.kthread('punch_hole', () => kvm_gmem_fallocate(kvm_gmem_of(vm), FALLOC_FL_PUNCH_HOLE, HOLE, 1));
  },
};
