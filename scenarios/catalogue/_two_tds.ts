// Family: two TDs on one host share Dynamic PAMT. Pages come from the host's page
// allocator, so "multiple TDs could each get 4KB pages that are covered by the same 2MB
// range" (v4 07/16): TD A's private 4K page at GFN 0x40001 is the only user of its host
// 2 MiB region, and the page TD B's vCPU faults in next is allocated in the same region.
// TD A converts its page to shared (REMOVE, tdx_pamt_put()) while TD B's vcpu0 accepts
// GFN 0x40001 (AUG, tdx_pamt_get()) and TD B then converts that page too (REMOVE,
// tdx_pamt_put()). Each TD holds only its own mmu_lock: the refcount of the shared
// region is what they race on.
//
// The dpamt_users check replaces the model's dpamt invariant here, which holds the
// region exact at each release of pamt_lock: the posted puts these scenarios compare
// (v2 04/12 to v4 08/16) decrement to 0 before taking the lock, by design, so another
// thread may release pamt_lock while a region is at 0 and still installed. What must
// hold at every step is the unsafe direction, that a region with users has its PAMT
// (a user finds refcount > 0 and touches the page); once every thread is done, that
// a region without users has none (no leak).
import { change_queue, fc, kvm_gmem_of, kvm_gmem_set_attributes, kvm_install_invariants, kvm_vcpu_thread, PG_LEVEL_4K, SPTE_ENT_PER_PAGE, tdx_premap_private, try_accept_one, type kvm } from 'septcheck';
import { P1G, td_create, type family } from './_td.ts';

export interface two_tds_params {
  /** TD B converts the page its vCPU faulted in. */
  readonly convert_b: boolean;
}

/** The dpamt_users check of the host `vm` runs on. */
function install_dpamt_users_invariant(vm: kvm): void {
  const host = vm.host;
  const changed = new change_queue<number>(vm.run, 'dpamt_users');
  host.pamt.tp_changed.register((ev) => changed.push(ev.region));
  const regions = new Set<number>();
  vm.run.invariant('dpamt_users', () => {
    for (const r of changed.drain()) regions.add(r);
    for (const r of regions) {
      const refs = host.region_refcount(r);
      const installed = host.pamt.is_installed(r);
      const pfn = `0x${(r * SPTE_ENT_PER_PAGE).toString(16)}`;
      if (refs > 0 && !installed) return `host region pfn ${pfn} has refcount ${refs} and no PAMT: its users' 4K pages have no PAMT entries`;
      if (refs === 0 && installed && vm.run.allDone()) return `host region pfn ${pfn} keeps its PAMT with refcount 0 once every thread is done: the PAMT pages leak`;
    }
    return null;
  });
}

export const two_tds: family<two_tds_params> = {
  tracked: true,
  story: "TD A's private 4K page 0x40001 alone in a host 2 MiB region; TD A converts it to shared while TD B's vcpu0 accepts 0x40001 (its page lands in that region) and TD B then converts it.",
  params: { convert_b: true },
  paramsArbitrary: () => fc.record({ convert_b: fc.boolean() }),
  validate: (p) => (typeof p.convert_b === 'boolean' ? null : `params.convert_b: ${String(p.convert_b)} is not a boolean`),
  setup(run, v, p) {
    // 4K folios (no huge backing), so both TDs' pages come one by one from the host.
    const a = td_create(run, v, { backing: 'none' });
    const b = td_create(run, v, { backing: 'none' });
    // Each TD's page tables and a first page, in the host's first region...
    tdx_premap_private(a, P1G, PG_LEVEL_4K);
    tdx_premap_private(b, P1G, PG_LEVEL_4K);
    // ...then the host's next 2 MiB region starts with TD A's page 0x40001.
    a.host.alloc_pages(9);
    tdx_premap_private(a, P1G + 1, PG_LEVEL_4K);
    kvm_install_invariants(a, { disable: ['dpamt'] });
    kvm_install_invariants(b, { disable: ['dpamt'] });
    install_dpamt_users_invariant(a);
    a.k.kthread('convert_a', () => kvm_gmem_set_attributes(kvm_gmem_of(a), P1G + 1, P1G + 2, 0));
    kvm_vcpu_thread(b.vcpus[0]!, async (vcpu) => {
      await try_accept_one(vcpu, P1G + 1, PG_LEVEL_4K);
    });
    if (p.convert_b) b.k.kthread('convert_b', () => kvm_gmem_set_attributes(kvm_gmem_of(b), P1G + 1, P1G + 2, 0));
  },
};
