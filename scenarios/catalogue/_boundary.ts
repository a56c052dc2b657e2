// Family: an operation discards part of an accepted private huge leaf while a vCPU
// keeps using the rest. KVM_SET_MEMORY_ATTRIBUTES2 (private to shared) of
// [start, end), or a memory failure in one page (kvm_gmem_error_folio()); both must
// split the leaves crossing the range before zapping it.
import {
  fc,
  guest_access,
  kvm_gmem_error_folio,
  kvm_gmem_of,
  kvm_gmem_set_attributes,
  kvm_install_invariants,
  KVM_PAGES_PER_HPAGE,
  kvm_vcpu_thread,
  PG_LEVEL_1G,
  PG_LEVEL_2M,
  tdx_premap_private,
} from 'septcheck';
import { check_in_leaf, check_level, first_problem, P1G, P2M, td_create, td_max_private_level, type family } from './_td.ts';

export interface boundary_params {
  /** Level of the leaf mapped at GFN P1G (2M or 1G). */
  readonly leaf_level: number;
  readonly op: 'set_attributes' | 'error_folio';
  /** The discarded range, as offsets into the leaf (error_folio: `start` only). */
  readonly start: number;
  readonly end: number;
  /** The vCPU writes a page of the leaf outside the range. */
  readonly vcpu: boolean;
}

/** The first leaf page outside [start, end), if any. */
function outside(p: boundary_params): number | null {
  const pages = KVM_PAGES_PER_HPAGE(p.leaf_level);
  const end = p.op === 'error_folio' ? p.start + 1 : p.end;
  if (p.start > 0) return p.start - 1;
  return end < pages ? end : null;
}

/** The leaf levels the family maps. */
const LEVELS = [PG_LEVEL_2M, PG_LEVEL_1G];

/** Parameters with leaves up to `max_level` (what the variant maps), each accepted
 * by `validate`. */
const arbitrary = (max_level: number): fc.Arbitrary<boundary_params> => fc
  .record({
    leaf_level: fc.constantFrom(...LEVELS.filter((l) => l <= max_level)),
    op: fc.constantFrom('set_attributes' as const, 'error_folio' as const),
    // Ranges 4K- or 2M-aligned, a few units long, anywhere in the leaf (up to its end).
    unit: fc.constantFrom(1, P2M),
    at: fc.nat(),
    len: fc.integer({ min: 1, max: 3 }),
    vcpu: fc.boolean(),
  })
  // A memory failure breaks its folio into 4K folios: 2M ones here, to keep runs fast
  // (a 1G folio is 262144 of them).
  .map(({ leaf_level: drawn, op, unit, at, len, vcpu }) => {
    const leaf_level = op === 'error_folio' ? PG_LEVEL_2M : drawn;
    const units = KVM_PAGES_PER_HPAGE(leaf_level) / unit;
    const start = (at % units) * unit;
    return { leaf_level, op, start, end: Math.min(start + len * unit, KVM_PAGES_PER_HPAGE(leaf_level)), vcpu };
  });

export const boundary: family<boundary_params> = {
  tracked: true,
  story:
    'An accepted private 2M leaf at GFN 0x40000; kvm_gmem_set_attributes() makes [+0x10, +0x12) shared while vcpu0 writes a page of the leaf outside it.',
  params: { leaf_level: PG_LEVEL_2M, op: 'set_attributes', start: 0x10, end: 0x12, vcpu: true },
  paramsArbitrary: (v) => arbitrary(td_max_private_level(v)),
  validate: (p, v) =>
    first_problem(
      // A leaf larger than the variant maps is a state it never creates (v3: 2M).
      check_level('leaf_level', p.leaf_level, LEVELS.filter((l) => l <= td_max_private_level(v))),
      p.op === 'set_attributes' || p.op === 'error_folio' ? null : `params.op: '${String(p.op)}' is not 'set_attributes' or 'error_folio'`,
      check_in_leaf('start', p.start, P1G, p.leaf_level),
      p.op === 'error_folio' ? null : check_in_leaf('end', p.end, P1G, p.leaf_level, true),
      p.op === 'error_folio' || p.end > p.start ? null : `params.end: ${p.end} is not above start ${p.start}`,
    ),
  setup(run, v, p) {
    const vm = td_create(run, v, { huge_order: p.leaf_level === PG_LEVEL_1G ? 18 : 9 });
    tdx_premap_private(vm, P1G, p.leaf_level);
    kvm_install_invariants(vm);
    const gfn = outside(p);
    if (p.vcpu && gfn !== null) kvm_vcpu_thread(vm.vcpus[0]!, (vcpu) => guest_access(vcpu, P1G + gfn, true, true));
    const gmem = kvm_gmem_of(vm);
    if (p.op === 'error_folio') vm.k.kthread('memory_failure', () => kvm_gmem_error_folio(gmem, P1G + p.start));
    else vm.k.kthread('set_attributes', () => kvm_gmem_set_attributes(gmem, P1G + p.start, P1G + p.end, 0));
  },
};
