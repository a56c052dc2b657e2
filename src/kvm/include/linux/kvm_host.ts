// include/linux/kvm_host.h (struct kvm, struct kvm_gfn_range) and arch/x86/include/asm/kvm_host.h (struct kvm_arch)
// struct kvm for a TD (include/linux/kvm_host.h, arch/x86/include/asm/kvm_host.h,
// arch/x86/kvm/vmx/tdx.h: struct kvm_tdx). Plain state; kvm_create_vm() in vm.ts
// builds one.
import type { Run } from '../../../engine/index.ts';
import type { tdx_guest } from '../../arch/x86/coco/tdx/tdx.ts';
import { fmt_range, type gfn_t } from '../../arch/x86/include/asm/kvm_host.ts';
import type { kvm_mmu_page } from '../../arch/x86/kvm/mmu/mmu_internal.ts';
import type { kvm_vcpu } from '../../arch/x86/kvm/x86.ts';
import type { tdx_td } from '../../arch/x86/virt/vmx/tdx/tdx_module.ts';
import type { tdx_host, tdx_pamt_cache } from '../../arch/x86/virt/vmx/tdx/tdx.ts';
import { model_key } from '../../model/footprint.ts';
import type { kvm_functions } from '../../model/functions.ts';
import type { interval_map } from '../../model/interval_map.ts';
import { type Kernel, lockdep_is_held, type mutex, type rwlock_t, type spinlock_t, srcu_dereference_check, srcu_read_lock, srcu_read_unlock, type srcu_struct, WARN_ON_ONCE } from '../../model/kernel.ts';
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

// KVM_MEMSLOT_INVALID in include/linux/kvm_host.h: the slot is being deleted or moved.
export const KVM_MEMSLOT_INVALID = 1 << 16;

// struct kvm_memory_slot, reduced to its GFN range and its guest_memfd binding. A
// published slot is never changed: an update publishes a new copy (kvm_set_memslot()).
export interface kvm_memory_slot {
  readonly id: number;
  readonly base_gfn: gfn_t;
  readonly npages: number;
  /** KVM_MEMSLOT_INVALID while it is being deleted. */
  readonly flags: number;
  readonly gmem: { readonly file: kvm_gmem; readonly pgoff: number };
}

// struct kvm_memslots in include/linux/kvm_host.h (one address space): the slots,
// sorted by GFN, and the generation each publication bumps.
export interface kvm_memslots {
  readonly generation: number;
  readonly slots: readonly kvm_memory_slot[];
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
  /** kvm->srcu: readers of kvm->memslots (a vCPU's exit handling, kvm_vcpu_srcu_read_lock()). */
  readonly srcu: srcu_struct;
  /** kvm->memslots[0], published with rcu_assign_pointer() and read through
   * kvm_memslots() (srcu_dereference_check()); each access recorded (`memslots`). */
  memslots: kvm_memslots;
  /** The first memslot as the VM was created (fixtures, tests and variants building
   * a kvm_gfn_range; model code looks slots up with kvm_memslots()). */
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

// kvm_vcpu_srcu_read_lock() in include/linux/kvm_host.h: a vCPU holds kvm->srcu
// whenever it runs KVM code (KVM_RUN takes it, guest entry drops it, an exit retakes it).
export async function kvm_vcpu_srcu_read_lock(vcpu: kvm_vcpu): Promise<void> {
  WARN_ON_ONCE(vcpu.srcu_depth++ !== 0, `KVM: Illegal vCPU srcu_idx LOCK, depth=${vcpu.srcu_depth - 1}`);
  vcpu.srcu_idx = await srcu_read_lock(vcpu.kvm.srcu);
}

// kvm_vcpu_srcu_read_unlock() in include/linux/kvm_host.h
export async function kvm_vcpu_srcu_read_unlock(vcpu: kvm_vcpu): Promise<void> {
  await srcu_read_unlock(vcpu.kvm.srcu, vcpu.srcu_idx);
  WARN_ON_ONCE(--vcpu.srcu_depth !== 0, `KVM: Illegal vCPU srcu_idx UNLOCK, depth=${vcpu.srcu_depth}`);
}

// kvm_memslots() / __kvm_memslots() in include/linux/kvm_host.h: legal under kvm->srcu
// or kvm->slots_lock.
export function kvm_memslots(kvm: kvm): kvm_memslots {
  return srcu_dereference_check(kvm.memslots, kvm.srcu, lockdep_is_held(kvm.slots_lock), 'kvm_memslots');
}

// __gfn_to_memslot() / search_memslots() in include/linux/kvm_host.h
export function __gfn_to_memslot(slots: kvm_memslots, gfn: gfn_t): kvm_memory_slot | null {
  for (const s of slots.slots) if (gfn >= s.base_gfn && gfn < s.base_gfn + s.npages) return s;
  return null;
}

/** The slots overlapping [start, end): kvm_for_each_memslot_in_gfn_range(). */
export function kvm_memslots_in_range(slots: kvm_memslots, start: gfn_t, end: gfn_t): kvm_memory_slot[] {
  return slots.slots.filter((s) => s.base_gfn < end && start < s.base_gfn + s.npages);
}

/** The xa_store() loop of kvm_vm_set_mem_attributes(): `attributes` over [start,
 * end), all at once; callers hold what the kernel holds around it (the guest_memfd
 * conversion stores them in the mmu_lock section that begins its invalidation). */
export function kvm_mem_attrs_store(kvm: kvm, start: gfn_t, end: gfn_t, attributes: number): void {
  kvm.mem_attr_array.set(start, end, attributes === 0 ? undefined : attributes);
  if (kvm.run.tracing) kvm.run.event(`attributes ${fmt_range(start, end)} -> ${(attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) !== 0 ? 'private' : 'shared'}`);
  kvm.model.bump();
}

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
  /** range->arg.attributes, for the attribute update's handlers. */
  readonly attributes?: number;
}
