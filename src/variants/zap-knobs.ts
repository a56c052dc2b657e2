// Knobs on the zap of a conversion or a hole: no boundary split before it, no TLB
// flush after it, and PUNCH_HOLE taking unaligned holes on huge backing.
import { FALLOC_FL_PUNCH_HOLE, EOPNOTSUPP, kvm_gmem_punch_hole, kvm_mmu_unmap_gfn_range, type kvm, type kvm_gfn_range, type kvm_gmem, type kvm_functions } from '../kvm/index.ts';

/** Knob split_before_zap = false: the conversion as if the split had never been
 * added: kvm_split_boundary_leafs() splits nothing, and no split cache is topped up,
 * locked or drawn from, so the zap takes whole huge leaves, memory outside the range
 * with them. */
export const split_before_zap_none: Pick<kvm_functions, 'kvm_split_boundary_leafs' | 'tdx_split_cache_topup' | 'tdx_split_cache_prepare' | 'tdx_split_cache_release'> = {
  kvm_split_boundary_leafs: async () => 0,
  tdx_split_cache_topup: () => 0,
  tdx_split_cache_prepare: async () => 0,
  tdx_split_cache_release: async () => {},
};

/** Knob flush_after_zap = false: __kvm_gmem_invalidate_begin() zaps and never
 * calls kvm_flush_remote_tlbs(). */
export async function __kvm_gmem_invalidate_begin_no_flush(kvm: kvm, range: kvm_gfn_range): Promise<void> {
  await kvm_mmu_unmap_gfn_range(kvm, range);
}

/** Knob punch_hole_requires_alignment = false: kvm_gmem_fallocate() as v3 posted it,
 * taking holes not aligned to the huge folios (PUNCH_HOLE then splits). */
export async function kvm_gmem_fallocate_unaligned(gmem: kvm_gmem, mode: number, offset: number, len: number): Promise<number> {
  if (!(mode & FALLOC_FL_PUNCH_HOLE)) return -EOPNOTSUPP;
  return kvm_gmem_punch_hole(gmem, offset, len);
}
