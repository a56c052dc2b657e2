// Family: the cost of the boundary split on a large conversion. A 16 TiB guest_memfd
// with 1000 private 2M leaves scattered over it (scenarios/scale-16tib.ts), plus one
// leaf crossing each end of the range; KVM_SET_MEMORY_ATTRIBUTES2 makes the range
// shared. Sean Christopherson on v3 11/24: "say there's a 16TiB guest_memfd instance
// ..., and then userpace punches a 12TiB hole. Walking all ~12TiB just to _maybe_
// split the head and tail pages is asinine." The figures are kvm.stat.spte_visits,
// the entries the kernel's tdp_iter would examine: the whole conversion's, and the
// boundary split's alone.
import { ALIGN_DOWN, kvm_gmem_of, kvm_gmem_set_attributes, kvm_install_invariants, PG_LEVEL_2M, tdx_premap_private } from 'septcheck';
import { scale_16tib_params, scale_mapped_gfns } from '../scale-16tib.ts';
import { check_gfn_range, P2M, td_create, td_functions, type family } from './_td.ts';

const TiB = 2 ** 40 / 4096;

export interface cost_params {
  /** The converted range, in 4 KiB pages: unaligned at both ends. */
  readonly start: number;
  readonly len: number;
}

export const cost_12tib_params: cost_params = { start: 2 * TiB + 0x10, len: 12 * TiB };

/** What a run of the family measures, as run metrics (and so sweep figures). */
export interface cost_figures {
  /** SPTEs the whole conversion visited (split, zap). */
  readonly spteVisits: number;
  /** SPTEs the boundary split visited. */
  readonly splitSpteVisits: number;
}

export const cost: family<cost_params> = {
  story: 'A 16 TiB guest_memfd with 1000 scattered private 2M leaves and one across each end of [2 TiB + 0x10, 14 TiB + 0x10), which kvm_gmem_set_attributes() makes shared.',
  params: cost_12tib_params,
  validate: (p) => check_gfn_range(p.start, p.start + p.len, scale_16tib_params.gmem_pages),
  setup(run, v, p) {
    const end = p.start + p.len;
    const fn = td_functions(v);
    let split_visits = 0;
    // spteVisits (the whole conversion) is registered by kvm_create_vm().
    run.metric('splitSpteVisits', () => split_visits);
    const vm = td_create(run, v, { gmem_pages: scale_16tib_params.gmem_pages }, {
      ...fn,
      async kvm_split_boundary_leafs(kvm, root, start, e) {
        const before = kvm.stat.spte_visits;
        const r = await fn.kvm_split_boundary_leafs(kvm, root, start, e);
        split_visits += kvm.stat.spte_visits - before;
        return r;
      },
    });
    const ends = [ALIGN_DOWN(p.start, P2M), ALIGN_DOWN(end, P2M)];
    for (const gfn of ends) tdx_premap_private(vm, gfn, PG_LEVEL_2M);
    for (const gfn of scale_mapped_gfns(scale_16tib_params)) if (!ends.includes(gfn)) tdx_premap_private(vm, gfn, PG_LEVEL_2M);
    kvm_install_invariants(vm);
    vm.k.kthread('set_attributes', async () => {
      const r = await kvm_gmem_set_attributes(kvm_gmem_of(vm), p.start, end, 0);
      run.result(`ret=${r} spte_visits=${vm.stat.spte_visits} split=${split_visits}`);
    });
  },
};
