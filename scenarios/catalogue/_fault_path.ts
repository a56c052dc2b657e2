// Family: vCPUs ACCEPT private 4K pages nothing maps yet, in the 2M block at GFN
// 0x40000: each ACCEPT exits as an EPT violation, and the fault path maps the page
// under read_lock(mmu_lock) (TDH.MEM.SEPT.ADD for the tables, TDH.MEM.PAGE.AUG for the
// page, each with its DPAMT reference). The page_stats check: once every thread is
// done, KVM's page counts (kvm->stat.pages[], /sys/kernel/debug/kvm/pages_4k) equal the
// leaves the roots map.
import { fc, kvm_direct_root, kvm_install_invariants, kvm_mirror_root, kvm_vcpu_thread, level_name, PG_LEVEL_4K, tdp_mmu_leaves, try_accept_one, type kvm } from 'septcheck';
import { check_in_leaf, check_int, first_problem, P1G, P2M, td_create, type family } from './_td.ts';

export interface fault_path_params {
  /** Offsets into the 2M block at GFN P1G that the vCPUs accept, one each. */
  readonly pages: readonly number[];
}

/** The page_stats check of a VM. */
export function install_page_stats_invariant(vm: kvm): void {
  vm.run.invariant('page_stats', () => {
    if (!vm.run.allDone()) return null;
    const mapped: number[] = [];
    for (const root of [kvm_mirror_root(vm), kvm_direct_root(vm)]) {
      for (const l of tdp_mmu_leaves(root, 0, 2 * P1G)) if (l.spte !== null) mapped[l.level] = (mapped[l.level] ?? 0) + 1;
    }
    for (let level = PG_LEVEL_4K; level <= 3; level++) {
      const counted = vm.stat.pages[level] ?? 0;
      if (counted !== (mapped[level] ?? 0)) return `kvm->stat.pages[${level_name(level)}] is ${counted} once every thread is done, but the roots map ${mapped[level] ?? 0} ${level_name(level)} leaves`;
    }
    return null;
  });
}

export const fault_path: family<fault_path_params> = {
  tracked: true,
  story: 'Private memory at GFN 0x40000, nothing mapped; vcpu0 accepts 0x40010 at 4K, so KVM faults it in.',
  params: { pages: [0x10] },
  paramsArbitrary: () => fc.record({ pages: fc.uniqueArray(fc.integer({ min: 0, max: P2M - 1 }), { minLength: 1, maxLength: 2 }) }),
  validate: (p) => first_problem(check_int('pages.length', p.pages.length, 1, 2), ...p.pages.map((o, i) => check_in_leaf(`pages[${i}]`, o, P1G, 2))),
  setup(run, v, p) {
    const vm = td_create(run, v, { nr_vcpus: p.pages.length });
    kvm_install_invariants(vm);
    install_page_stats_invariant(vm);
    p.pages.forEach((o, i) => kvm_vcpu_thread(vm.vcpus[i]!, (vcpu) => try_accept_one(vcpu, P1G + o, PG_LEVEL_4K)));
  },
};
