// KVM_SET_MEMORY_ATTRIBUTES2 on a guest_memfd (in-place conversion): kvm_gmem_set_attributes().
// Private to shared: split the mirror leaves crossing the range boundary, then zap
// the range, so GFNs outside it keep their private memory. Shared to private: zap
// the shared mappings. Not necessarily from a vCPU.
import { KVM_FILTER_PRIVATE, KVM_FILTER_SHARED } from './gfn_range.ts';
import { filemap_invalidate_lock, filemap_invalidate_unlock, kvm_gmem_gfn_range, type kvm_gmem } from './guest_memfd.ts';
import { mutex_lock, mutex_unlock } from './kernel.ts';
import { KVM_MEMORY_ATTRIBUTE_PRIVATE } from './kvm.ts';

// kvm_gmem_set_attributes() in virt/kvm/guest_memfd.c: file indices [start, end) get `attributes`.
export async function kvm_gmem_set_attributes(gmem: kvm_gmem, start: number, end: number, attributes: number): Promise<number> {
  const kvm = gmem.kvm;
  const to_shared = (attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) === 0;
  const range = kvm_gmem_gfn_range(gmem, start, end, 0);
  return kvm.model.op('kvm_gmem_set_attributes', range.start, range.end, true, async () => {
    await mutex_lock(kvm.slots_lock);
    await filemap_invalidate_lock(gmem.mapping);
    const old = [...kvm.mem_attr_array.pieces(range.start, range.end)];
    const r = await kvm.call.kvm_gmem_invalidate_begin(gmem, start, end, {
      attr_filter: to_shared ? KVM_FILTER_PRIVATE : KVM_FILTER_SHARED,
      split: to_shared,
      // The new attributes are visible to faults as soon as the invalidation begins:
      // a fault outside the range sees the huge page as mixed and maps 4K.
      on_lock: () => kvm.call.kvm_vm_set_mem_attributes(kvm, range.start, range.end, attributes),
    });
    await kvm.call.kvm_gmem_invalidate_end(gmem, r === 0 ? undefined : () => {
      for (const p of old) kvm.call.kvm_vm_set_mem_attributes(kvm, p.lo, p.hi, p.value ?? 0);
    });
    await filemap_invalidate_unlock(gmem.mapping);
    await mutex_unlock(kvm.slots_lock);
    return r;
  });
}
