// Memory failure in a guest_memfd folio: kvm_gmem_error_folio() in
// virt/kvm/guest_memfd.c, huge-page version (v3 use case 4): the poisoned page is cut
// out of its huge folio, so the S-EPT must be split at its boundary first and only
// that page zapped; the rest of the folio keeps its private memory.
import { KVM_FILTER_PRIVATE, KVM_FILTER_SHARED } from './gfn_range.ts';
import { filemap_invalidate_lock_shared, filemap_invalidate_unlock_shared, kvm_gmem_gfn_range, type kvm_gmem } from './guest_memfd.ts';

// split_folio() in mm/huge_memory.c: the folio becomes order-0 folios, minus the
// poisoned page, which is taken out of use.
export function split_folio_drop_poisoned(gmem: kvm_gmem, index: number): void {
  const f = gmem.filemap_get_folio(index);
  if (f === null) return;
  gmem.remove_folio(f);
  for (let i = 0; i < 2 ** f.order; i++) {
    if (f.index + i !== index) gmem.add_folio({ index: f.index + i, order: 0, pfn: f.pfn + i });
  }
}

// kvm_gmem_error_folio(): file index `index` is poisoned.
export async function kvm_gmem_error_folio(gmem: kvm_gmem, index: number): Promise<number> {
  const kvm = gmem.kvm;
  if (gmem.filemap_get_folio(index) === null) return 0;
  const range = kvm_gmem_gfn_range(gmem, index, index + 1, 0);
  return kvm.model.op('kvm_gmem_error_folio', range.start, range.end, true, async () => {
    await filemap_invalidate_lock_shared(gmem.mapping);
    const r = await kvm.call.kvm_gmem_invalidate_begin(gmem, index, index + 1, { attr_filter: KVM_FILTER_PRIVATE | KVM_FILTER_SHARED, split: true });
    await kvm.call.kvm_gmem_invalidate_end(gmem);
    if (r === 0) kvm.call.split_folio_drop_poisoned(gmem, index);
    await filemap_invalidate_unlock_shared(gmem.mapping);
    return r;
  });
}
