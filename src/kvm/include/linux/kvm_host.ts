// include/linux/kvm_host.h (struct kvm, struct kvm_gfn_range) and arch/x86/include/asm/kvm_host.h (struct kvm_arch)
// struct kvm for a TD (include/linux/kvm_host.h, arch/x86/include/asm/kvm_host.h,
// arch/x86/kvm/vmx/tdx.h: struct kvm_tdx). Plain state; kvm_create_vm() in vm.ts
// builds one.
import type { Run } from '../../../engine/index.ts';
import type { tdx_guest } from '../../arch/x86/coco/tdx/tdx.ts';
import type { gfn_t } from '../../arch/x86/include/asm/kvm_host.ts';
import type { kvm_mmu_page } from '../../arch/x86/kvm/mmu/mmu_internal.ts';
import type { kvm_vcpu } from '../../arch/x86/kvm/x86.ts';
import type { tdx_td } from '../../arch/x86/virt/vmx/tdx/tdx_module.ts';
import type { tdx_host, tdx_pamt_cache } from '../../arch/x86/virt/vmx/tdx/tdx.ts';
import { model_key } from '../../model/footprint.ts';
import type { kvm_functions } from '../../model/functions.ts';
import type { interval_map } from '../../model/interval_map.ts';
import type { Kernel, mutex, rwlock_t, spinlock_t } from '../../model/kernel.ts';
import type { kvm_model } from '../../model/model.ts';
import type { kvm_gmem } from '../../virt/kvm/guest_memfd.ts';

// INVALID_GPA in include/linux/kvm_types.h
export const INVALID_GPA = -1;

// KVM_MEMORY_ATTRIBUTE_PRIVATE in include/uapi/linux/kvm.h
export const KVM_MEMORY_ATTRIBUTE_PRIVATE = 1 << 3;

// struct kvm_vm_stat, plus what the model counts. Nothing the model does reads them;
// run metrics read them once the schedule ended, and sums are the same in every
// order: they are not recorded (footprint.ts). A check that needs a count keeps its
// own, tracked (e.g. a run.cell a tracepoint probe updates).
export interface kvm_vm_stat {
  /** Page-table entries examined by tdp_iter walks, as the kernel's iterator would. */
  spte_visits: number;
  /** kvm_update_page_stats(): leaves per level (index = level). */
  pages: number[];
  /** Huge leaves split. */
  splits: number;
  /** Leaves zapped. */
  zaps: number;
  /** Faults handled, and those that asked the vCPU to retry. */
  faults: number;
  fault_retries: number;
  /** Times a splitter dropped mmu_lock to allocate. */
  split_alloc_drops: number;
  /** Page tables linked (tdp_account_mmu_page()). */
  pages_tables: number;
}

// struct kvm_memory_slot, reduced to one guest_memfd binding.
export interface kvm_memory_slot {
  readonly base_gfn: gfn_t;
  readonly npages: number;
  readonly gmem: { readonly file: kvm_gmem; readonly pgoff: number };
}

// struct kvm_arch, the TDP MMU part.
export interface kvm_arch {
  /** kvm->arch.tdp_mmu_roots */
  readonly tdp_mmu_roots: kvm_mmu_page[];
  /** 4 or 5. */
  readonly root_level: number;
}

// struct kvm_tdx in arch/x86/kvm/vmx/tdx.h
export interface kvm_tdx {
  readonly td: tdx_td;
  /** Per-VM cache of DPAMT pages for splits without a vCPU (v5 44/45). */
  readonly pamt_cache: tdx_pamt_cache;
  /** Guards pamt_cache; taken before mmu_lock. Must be mutex_init()ed. */
  readonly pamt_cache_lock: mutex;
  /** v3 20/24: spinlock under mmu_lock around the per-VM split cache. */
  readonly prealloc_split_cache_lock: spinlock_t;
}

// struct kvm in include/linux/kvm_host.h, with the TD-specific parts reachable from it.
export interface kvm {
  readonly run: Run;
  readonly k: Kernel;
  /** kvm->mmu_lock */
  readonly mmu_lock: rwlock_t;
  /** kvm->slots_lock */
  readonly slots_lock: mutex;
  mmu_invalidate_in_progress: number;
  mmu_invalidate_seq: number;
  mmu_invalidate_range_start: gfn_t;
  mmu_invalidate_range_end: gfn_t;
  vm_bugged: boolean;
  readonly stat: kvm_vm_stat;
  readonly arch: kvm_arch;
  readonly tdx: kvm_tdx;
  readonly vcpus: kvm_vcpu[];
  /** kvm->mem_attr_array: attributes per GFN range. */
  readonly mem_attr_array: interval_map<number>;
  /** The one memslot, bound to a guest_memfd. */
  readonly memslot: kvm_memory_slot;
  /** The per-VM dispatch (functions.ts): the model's functions with the variant's
   * overrides. Model code calls every kernel function through it. */
  readonly call: kvm_functions;
  readonly host: tdx_host;
  /** The guest OS's own view of its private memory. */
  readonly guest: tdx_guest;
  /** Harness instrumentation. */
  readonly model: kvm_model;
  /** Per thread ('' at set-up), the sequence of its kvm_mmu_page ids. */
  readonly next_sp_id: Map<string, number>;
}

// to_kvm_tdx()
export function to_kvm_tdx(kvm: kvm): kvm_tdx {
  return kvm.tdx;
}

/** The footprint key of kvm->arch.tdp_mmu_roots and of the roots' role.invalid. */
export const ROOTS = new model_key('roots');

/** The mirror root: vcpu->arch.mmu->mirror_root_hpa, one per TD. */
export function kvm_mirror_root(kvm: kvm): kvm_mmu_page {
  kvm.run.touch(ROOTS.read);
  const r = kvm.arch.tdp_mmu_roots.find((sp) => sp.role.is_mirror && !sp.role.invalid);
  if (r === undefined) throw new Error('no valid mirror root');
  return r;
}

/** The normal (direct, shared) root: vcpu->arch.mmu->root.hpa. */
export function kvm_direct_root(kvm: kvm): kvm_mmu_page {
  kvm.run.touch(ROOTS.read);
  const r = kvm.arch.tdp_mmu_roots.find((sp) => !sp.role.is_mirror && !sp.role.invalid);
  if (r === undefined) throw new Error('no valid direct root');
  return r;
}

// struct kvm_gfn_range and its attribute filter (include/linux/kvm_host.h).

// enum kvm_gfn_range_filter in include/linux/kvm_host.h
export const KVM_FILTER_SHARED = 1 << 0;
export const KVM_FILTER_PRIVATE = 1 << 1;

// struct kvm_gfn_range in include/linux/kvm_host.h
export interface kvm_gfn_range {
  readonly slot: kvm_memory_slot;
  readonly start: gfn_t;
  readonly end: gfn_t;
  readonly attr_filter: number;
  readonly may_block: boolean;
}
