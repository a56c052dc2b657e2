// fallocate(PUNCH_HOLE) on a guest_memfd: kvm_gmem_punch_hole() in virt/kvm/guest_memfd.c.
// On hugetlb/THP backing only huge-page-aligned ranges are allowed (agreed upstream,
// Vishal Annapurve on v3), so no leaf can cross the hole and nothing needs splitting.
import { EINVAL } from './errno.ts';
import { KVM_FILTER_PRIVATE, KVM_FILTER_SHARED } from './gfn_range.ts';
import { filemap_invalidate_lock, filemap_invalidate_unlock, kvm_gmem_gfn_range, kvm_gmem_invalidate_begin, kvm_gmem_invalidate_end, type kvm_gmem } from './guest_memfd.ts';
import { IS_ALIGNED } from './levels.ts';

// truncate_inode_pages_range() in mm/truncate.c: folios wholly inside go; a huge
// folio only partly inside stays (its pages in the hole are zeroed).
function truncate_inode_pages_range(gmem: kvm_gmem, start: number, end: number): void {
  for (const f of gmem.folios_in(start, end)) {
    if (f.index + 2 ** f.order <= end) gmem.remove_folio(f);
  }
}

// kvm_gmem_punch_hole() in virt/kvm/guest_memfd.c: file indices [offset, offset + len).
export async function kvm_gmem_punch_hole(gmem: kvm_gmem, offset: number, len: number): Promise<number> {
  const kvm = gmem.kvm;
  const start = offset;
  const end = offset + len;
  const aligned_only = kvm.hooks.punch_hole_requires_alignment && gmem.backing !== 'none';
  if (aligned_only && (!IS_ALIGNED(start, gmem.huge_pages) || !IS_ALIGNED(end, gmem.huge_pages))) return -EINVAL;
  const range = kvm_gmem_gfn_range(gmem, start, end, 0);
  return kvm.model.op('kvm_gmem_punch_hole', range.start, range.end, true, async () => {
    await filemap_invalidate_lock(gmem.mapping);
    // Unaligned holes (allowed when the rule is off) need v3's boundary split.
    const r = await kvm_gmem_invalidate_begin(gmem, start, end, { attr_filter: KVM_FILTER_PRIVATE | KVM_FILTER_SHARED, split: !aligned_only });
    if (r === 0) truncate_inode_pages_range(gmem, start, end);
    await kvm_gmem_invalidate_end(gmem);
    await filemap_invalidate_unlock(gmem.mapping);
    return r;
  });
}
