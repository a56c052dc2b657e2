// Family: fallocate(PUNCH_HOLE) on a hugetlb guest_memfd, inside an accepted private
// 2M leaf, while vcpu0 writes a page of the leaf outside the hole. guest_memfd
// accepts only holes aligned to the huge page on hugetlb/THP backing (Vishal
// Annapurve on v3 11/24, Tue, 20 Jan 2026), so PUNCH_HOLE never needs a split: the
// scenario checks that an unaligned hole is rejected with -EINVAL, not split.
import {
  fc,
  EINVAL,
  fmt_range,
  guest_access,
  IS_ALIGNED,
  is_large_pte,
  kvm_gmem_of,
  kvm_gmem_fallocate, FALLOC_FL_PUNCH_HOLE,
  kvm_install_invariants,
  kvm_vcpu_thread,
  PG_LEVEL_2M,
  spte_to_child_sp,
  tdx_premap_private,
} from 'septcheck';
import { check_in_leaf, check_int, first_problem, P1G, P2M, td_create, type family } from './_td.ts';

export interface punch_hole_params {
  /** The hole, as an offset into the 2M leaf at GFN P1G and a length, in pages. */
  readonly offset: number;
  readonly len: number;
}

const arbitrary: fc.Arbitrary<punch_hole_params> = fc
  .record({ unit: fc.constantFrom(1, 0x10, P2M), at: fc.nat({ max: P2M - 1 }), n: fc.integer({ min: 1, max: 2 }) })
  // Inside the leaf, as validate() wants.
  .map(({ unit, at, n }) => ({ offset: at - (at % unit), len: Math.min(n * unit, P2M - (at - (at % unit))) }));

export const punch_hole: family<punch_hole_params> = {
  tracked: true,
  story: 'An accepted private 2M leaf at GFN 0x40000 on hugetlb backing; PUNCH_HOLE of [+0x10, +0x20) while vcpu0 writes +0x1ff.',
  params: { offset: 0x10, len: 0x10 },
  paramsArbitrary: () => arbitrary,
  validate: (p) =>
    first_problem(
      check_in_leaf('offset', p.offset, P1G, PG_LEVEL_2M),
      check_int('len', p.len, 1, P2M),
      p.offset + p.len <= P2M ? null : `params.len: the hole ${fmt_range(P1G + p.offset, P1G + p.offset + p.len)} runs past the 2M leaf ${fmt_range(P1G, P1G + P2M)}`,
    ),
  setup(run, v, p) {
    const vm = td_create(run, v, { backing: 'hugetlb' });
    tdx_premap_private(vm, P1G, PG_LEVEL_2M);
    kvm_install_invariants(vm);
    const gmem = kvm_gmem_of(vm);
    const start = P1G + p.offset;
    const end = start + p.len;
    const outside = p.offset > 0 ? start - 1 : end < P1G + P2M ? end : null;
    if (outside !== null) kvm_vcpu_thread(vm.vcpus[0]!, (vcpu) => guest_access(vcpu, outside, true, true));
    // Tracked, as the threads and the check share them: the return value, and whether
    // a huge leaf was split (a table replaced it).
    const ret = run.cell<number | null>('punch_hole.ret', null);
    const split = run.cell('punch_hole.split', false);
    vm.model.tp_spte_changed.register((ev) => {
      if (is_large_pte(ev.old_spte) && spte_to_child_sp(ev.new_spte) !== null) split.set(true);
    });
    vm.k.kthread('punch_hole', async () => {
      ret.set(await kvm_gmem_fallocate(gmem, FALLOC_FL_PUNCH_HOLE, start, p.len));
    });
    const aligned = IS_ALIGNED(start, gmem.huge_pages) && IS_ALIGNED(end, gmem.huge_pages);
    // Fires at the first split, or at the return if nothing was split.
    run.invariant('punch_hole_alignment', () => {
      if (aligned) return null;
      const r = ret.get();
      if (!split.get() && (r === null || r === -EINVAL)) return null;
      const what = split.get() ? 'split a huge leaf' : `returned ${r}`;
      return `kvm_gmem_punch_hole(${fmt_range(start, end)}) on hugetlb backing ${what}; a hole not aligned to the huge page must fail with -EINVAL`;
    });
  },
};
