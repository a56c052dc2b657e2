// fallocate(PUNCH_HOLE) on a guest_memfd: kvm_gmem_fallocate() and
// kvm_gmem_punch_hole() in virt/kvm/guest_memfd.c. On hugetlb/THP backing only
// huge-page-aligned ranges are allowed (agreed upstream, Vishal Annapurve on v3), so
// no leaf can cross the hole and nothing needs splitting.
import { EINVAL, EOPNOTSUPP } from './errno.ts';
import { KVM_FILTER_PRIVATE, KVM_FILTER_SHARED } from './gfn_range.ts';
import { filemap_invalidate_lock, filemap_invalidate_unlock, kvm_gmem_gfn_range, type kvm_gmem } from './guest_memfd.ts';
import { IS_ALIGNED } from './levels.ts';

// FALLOC_FL_* in include/uapi/linux/falloc.h
export const FALLOC_FL_KEEP_SIZE = 0x01;
export const FALLOC_FL_PUNCH_HOLE = 0x02;

// truncate_inode_pages_range() in mm/truncate.c: folios wholly inside go; a huge
// folio only partly inside stays (its pages in the hole are zeroed).
export function truncate_inode_pages_range(gmem: kvm_gmem, start: number, end: number): void {
  for (const f of gmem.folios_in(start, end)) {
    if (f.index + 2 ** f.order <= end) gmem.remove_folio(f);
  }
}

// kvm_gmem_fallocate() in virt/kvm/guest_memfd.c (file offsets in 4 KiB pages): on
// huge backing, an unaligned hole is -EINVAL.
export async function kvm_gmem_fallocate(gmem: kvm_gmem, mode: number, offset: number, len: number): Promise<number> {
  if (!(mode & FALLOC_FL_PUNCH_HOLE)) return -EOPNOTSUPP;
  if (gmem.backing !== 'none' && (!IS_ALIGNED(offset, gmem.huge_pages) || !IS_ALIGNED(offset + len, gmem.huge_pages))) return -EINVAL;
  return gmem.kvm.call.kvm_gmem_punch_hole(gmem, offset, len);
}

// kvm_gmem_punch_hole() in virt/kvm/guest_memfd.c: file indices [offset, offset + len).
// A hole not aligned to the huge folios (only if kvm_gmem_fallocate() let it through)
// needs the boundary split first (v3 16/24).
export async function kvm_gmem_punch_hole(gmem: kvm_gmem, offset: number, len: number): Promise<number> {
  const kvm = gmem.kvm;
  const start = offset;
  const end = offset + len;
  const split = gmem.backing !== 'none' && (!IS_ALIGNED(start, gmem.huge_pages) || !IS_ALIGNED(end, gmem.huge_pages));
  const range = kvm_gmem_gfn_range(gmem, start, end, 0);
  return kvm.model.op('kvm_gmem_punch_hole', range.start, range.end, true, async () => {
    await filemap_invalidate_lock(gmem.mapping);
    const r = await kvm.call.kvm_gmem_invalidate_begin(gmem, start, end, { attr_filter: KVM_FILTER_PRIVATE | KVM_FILTER_SHARED, split });
    if (r === 0) kvm.call.truncate_inode_pages_range(gmem, start, end);
    await kvm.call.kvm_gmem_invalidate_end(gmem);
    await filemap_invalidate_unlock(gmem.mapping);
    return r;
  });
}
