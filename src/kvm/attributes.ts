// Memory attributes (virt/kvm/kvm_main.c, KVM_SET_MEMORY_ATTRIBUTES): private or
// shared per GFN range, stored as runs, never per page.
import type { kvm } from './kvm.ts';
import { KVM_MEMORY_ATTRIBUTE_PRIVATE } from './kvm.ts';
import type { gfn_t } from './levels.ts';
import { fmt_range } from './levels.ts';

// kvm_get_memory_attributes() in include/linux/kvm_host.h
export function kvm_get_memory_attributes(kvm: kvm, gfn: gfn_t): number {
  return kvm.mem_attr_array.get(gfn) ?? 0;
}

// kvm_mem_is_private() in include/linux/kvm_host.h
export function kvm_mem_is_private(kvm: kvm, gfn: gfn_t): boolean {
  return (kvm.call.kvm_get_memory_attributes(kvm, gfn) & KVM_MEMORY_ATTRIBUTE_PRIVATE) !== 0;
}

// kvm_range_has_memory_attributes() in virt/kvm/kvm_main.c: every GFN in [start, end)
// has `attrs` under `mask`.
export function kvm_range_has_memory_attributes(kvm: kvm, start: gfn_t, end: gfn_t, mask: number, attrs: number): boolean {
  return kvm.mem_attr_array.every(start, end, (v) => ((v ?? 0) & mask) === attrs);
}

/** Stores `attributes` over [start, end) (the xa_store() loop of
 * kvm_vm_set_mem_attributes()); callers hold what the kernel holds around it. */
export function kvm_vm_set_mem_attributes(kvm: kvm, start: gfn_t, end: gfn_t, attributes: number): void {
  kvm.mem_attr_array.set(start, end, attributes === 0 ? undefined : attributes);
  if (kvm.run.tracing) kvm.run.event(`attributes ${fmt_range(start, end)} -> ${(attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) !== 0 ? 'private' : 'shared'}`);
  kvm.model.bump();
}
