// virt/kvm/kvm_main.c
// Memory attributes (virt/kvm/kvm_main.c, KVM_SET_MEMORY_ATTRIBUTES): private or
// shared per GFN range, stored as runs, never per page.
import type { Run } from '../../../engine/index.ts';
import { tdx_guest } from '../../arch/x86/coco/tdx/tdx.ts';
import { fmt_gfn, fmt_range, type gfn_t, PT64_ROOT_4LEVEL } from '../../arch/x86/include/asm/kvm_host.ts';
import { KVM_REQ_TLB_FLUSH, kvm_vcpu } from '../../arch/x86/kvm/x86.ts';
import { tdx_td } from '../../arch/x86/virt/vmx/tdx/tdx_module.ts';
import { tdx_host_of, type tdx_host_opts, tdx_pamt_cache } from '../../arch/x86/virt/vmx/tdx/tdx.ts';
import { INVALID_GPA, type kvm, type kvm_gfn_range, KVM_MEMORY_ATTRIBUTE_PRIVATE, type kvm_memory_slot, type kvm_vm_stat } from '../../include/linux/kvm_host.ts';
import { kvm_describer } from '../../model/describe.ts';
import { model_key, record_fields } from '../../model/footprint.ts';
import type { kvm_functions } from '../../model/functions.ts';
import { interval_map } from '../../model/interval_map.ts';
import { Kernel, KVM_BUG_ON, lockdep_assert_held, lockdep_assert_held_write, mutex, mutex_init, rwlock_init, rwlock_t, spinlock_t, WARN_ON } from '../../model/kernel.ts';
import { kvm_model } from '../../model/model.ts';
import { type gmem_backing, kvm_gmem } from './guest_memfd.ts';

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

// MMU invalidation (virt/kvm/kvm_main.c, include/linux/kvm_host.h): an invalidation
// marks a GFN range in progress so faults on it retry, and bumps the sequence at the
// end so a fault that looked up a PFN before it retries too.

// kvm_mmu_invalidate_begin() in virt/kvm/kvm_main.c
export function kvm_mmu_invalidate_begin(kvm: kvm): void {
  lockdep_assert_held_write(kvm.mmu_lock);
  // The count increase must become visible at unlock time as no spte can be
  // established without taking the mmu_lock and count is also read inside the
  // mmu_lock critical section.
  kvm.mmu_invalidate_in_progress++;
  if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_begin: in_progress ${kvm.mmu_invalidate_in_progress}, seq ${kvm.mmu_invalidate_seq}`);
  if (kvm.mmu_invalidate_in_progress === 1) {
    kvm.mmu_invalidate_range_start = INVALID_GPA;
    kvm.mmu_invalidate_range_end = INVALID_GPA;
  }
  kvm.model.bump();
}

// kvm_mmu_invalidate_range_add() in virt/kvm/kvm_main.c
export function kvm_mmu_invalidate_range_add(kvm: kvm, start: gfn_t, end: gfn_t): void {
  lockdep_assert_held_write(kvm.mmu_lock);
  WARN_ON(kvm.mmu_invalidate_in_progress === 0, 'kvm_mmu_invalidate_range_add() outside an invalidation');
  if (kvm.mmu_invalidate_range_start === INVALID_GPA) {
    kvm.mmu_invalidate_range_start = start;
    kvm.mmu_invalidate_range_end = end;
  } else {
    kvm.mmu_invalidate_range_start = Math.min(kvm.mmu_invalidate_range_start, start);
    kvm.mmu_invalidate_range_end = Math.max(kvm.mmu_invalidate_range_end, end);
  }
  if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_range_add ${fmt_range(start, end)}: invalidating ${fmt_range(kvm.mmu_invalidate_range_start, kvm.mmu_invalidate_range_end)}`);
  kvm.model.bump();
}

// kvm_mmu_invalidate_end() in virt/kvm/kvm_main.c
export function kvm_mmu_invalidate_end(kvm: kvm): void {
  lockdep_assert_held_write(kvm.mmu_lock);
  // This sequence increase will notify the kvm page fault that the page that is
  // going to be mapped in the spte could have been freed.
  kvm.mmu_invalidate_seq++;
  kvm.mmu_invalidate_in_progress--;
  if (kvm.run.tracing) kvm.run.event(`mmu_invalidate_end: seq ${kvm.mmu_invalidate_seq}, in_progress ${kvm.mmu_invalidate_in_progress}`);
  KVM_BUG_ON(kvm.mmu_invalidate_in_progress < 0, kvm, 'mmu_invalidate_in_progress < 0');
  // Assert that at least one range was added between start() and end().
  WARN_ON(kvm.mmu_invalidate_range_start === INVALID_GPA, 'kvm_mmu_invalidate_end() without a range');
  kvm.model.bump();
}

/** An invalidation in progress covers `gfn`. */
export function mmu_invalidate_in_range(kvm: kvm, gfn: gfn_t): boolean {
  return (
    kvm.mmu_invalidate_in_progress > 0 &&
    (kvm.mmu_invalidate_range_start === INVALID_GPA || (gfn >= kvm.mmu_invalidate_range_start && gfn < kvm.mmu_invalidate_range_end))
  );
}

// mmu_invalidate_retry_gfn() in include/linux/kvm_host.h: under mmu_lock.
export function mmu_invalidate_retry_gfn(kvm: kvm, mmu_seq: number, gfn: gfn_t): boolean {
  lockdep_assert_held(kvm.mmu_lock);
  if (kvm.run.tracing) trace_fault_retry(kvm, mmu_seq, gfn);
  // Dropping mmu_lock after bumping mmu_invalidate_in_progress but before updating
  // the range is a KVM bug (upstream WARNs and retries).
  if (kvm.call.mmu_invalidate_in_range(kvm, gfn)) return true;
  return kvm.mmu_invalidate_seq !== mmu_seq;
}

// mmu_invalidate_retry_gfn_unsafe() in include/linux/kvm_host.h: lockless pre-check.
export function mmu_invalidate_retry_gfn_unsafe(kvm: kvm, mmu_seq: number, gfn: gfn_t): boolean {
  if (kvm.run.tracing) trace_fault_retry(kvm, mmu_seq, gfn);
  if (kvm.call.mmu_invalidate_in_range(kvm, gfn)) return true;
  return kvm.mmu_invalidate_seq !== mmu_seq;
}

// kvm_unmap_gfn_range() in arch/x86/kvm/mmu/mmu.c: returns whether TLBs need a flush.
export async function kvm_unmap_gfn_range(kvm: kvm, range: kvm_gfn_range): Promise<boolean> {
  return kvm.call.kvm_tdp_mmu_unmap_gfn_range(kvm, range, false);
}

// kvm_mmu_unmap_gfn_range() in virt/kvm/kvm_main.c
export async function kvm_mmu_unmap_gfn_range(kvm: kvm, range: kvm_gfn_range): Promise<boolean> {
  kvm.call.kvm_mmu_invalidate_range_add(kvm, range.start, range.end);
  return kvm.call.kvm_unmap_gfn_range(kvm, range);
}

/** A traced run's event for a fault on `gfn` that must retry, and why. */
function trace_fault_retry(kvm: kvm, mmu_seq: number, gfn: gfn_t): void {
  if (kvm.call.mmu_invalidate_in_range(kvm, gfn)) {
    const range = kvm.mmu_invalidate_range_start === INVALID_GPA ? 'no range yet' : fmt_range(kvm.mmu_invalidate_range_start, kvm.mmu_invalidate_range_end);
    kvm.run.event(`fault at GFN ${fmt_gfn(gfn)} retries: an invalidation is in progress (${range})`);
  } else if (kvm.mmu_invalidate_seq !== mmu_seq) {
    kvm.run.event(`fault at GFN ${fmt_gfn(gfn)} retries: mmu_invalidate_seq moved from ${mmu_seq} to ${kvm.mmu_invalidate_seq}`);
  }
}

// Remote TLB flushes (virt/kvm/kvm_main.c kvm_flush_remote_tlbs(); for a TD,
// arch/x86/kvm/vmx/tdx.c): bump the TD's TLB epoch and kick every vCPU out of the
// guest; a vCPU's TLB is flushed when it leaves the guest.

// kvm_flush_remote_tlbs() in virt/kvm/kvm_main.c
export async function kvm_flush_remote_tlbs(kvm: kvm): Promise<void> {
  await kvm.call.tdh_mem_track(kvm.tdx.td);
  await kvm.call.kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH);
}

// Creating a TD (virt/kvm/kvm_main.c kvm_create_vm(), arch/x86/kvm/vmx/tdx.c
// tdx_vm_init(), kvm_mmu_init_tdp_mmu()): the locks, the roots, the vCPUs, one
// memslot bound to a guest_memfd. Runs in a scenario's setup, before any thread.

export interface kvm_create_vm_opts {
  /** guest_memfd size in 4 KiB pages, bound at GFN 0. */
  readonly gmem_pages: number;
  /** Default 'hugetlb'. */
  readonly backing?: gmem_backing;
  /** Order of a huge folio; default 9 (2 MiB). */
  readonly huge_order?: number;
  readonly nr_vcpus?: number;
  /** Default 4-level EPT. */
  readonly root_level?: number;
  /** Memory starts private (a TD's usual start); default true. */
  readonly private?: boolean;
  /** The functions the VM calls (a variant's, variant.fn); default: upstream's. */
  readonly functions?: kvm_functions;
  /** Functions replaced on top of `functions` (tests; a variant is the usual way). */
  readonly overrides?: Partial<kvm_functions>;
  readonly host?: tdx_host_opts;
}

const MMU_INVALIDATE = new model_key('mmu_invalidate');
const VM_BUGGED = new model_key('vm_bugged');

function new_stat(): kvm_vm_stat {
  return { spte_visits: 0, pages: [], splits: 0, zaps: 0, faults: 0, fault_retries: 0, split_alloc_drops: 0, pages_tables: 0 };
}

// kvm_create_vm() + tdx_vm_init(): a TD with its roots and vCPUs. `upstream` is the
// model's own functions (model/functions.ts passes them: importing them here would be a cycle).
// Every access to the model's shared state is recorded (footprint.ts), so a
// scenario of the model may declare itself tracked.
export function kvm_create_vm(run: Run, opts: kvm_create_vm_opts, upstream: kvm_functions): kvm {
  const k = Kernel.of(run);
  const host = tdx_host_of(run, opts.host);
  const root_level = opts.root_level ?? PT64_ROOT_4LEVEL;
  const mmu_lock = new rwlock_t(k, '&kvm->mmu_lock');
  rwlock_init(mmu_lock);
  const slots_lock = new mutex(k, '&kvm->slots_lock');
  mutex_init(slots_lock);
  const call: kvm_functions = opts.overrides === undefined ? (opts.functions ?? upstream) : { ...(opts.functions ?? upstream), ...opts.overrides };
  const vm = {
    run,
    k,
    mmu_lock,
    slots_lock,
    mmu_invalidate_in_progress: 0,
    mmu_invalidate_seq: 0,
    mmu_invalidate_range_start: INVALID_GPA,
    mmu_invalidate_range_end: INVALID_GPA,
    vm_bugged: false,
    stat: new_stat(),
    arch: { tdp_mmu_roots: [], root_level },
    tdx: {
      td: new tdx_td(run, root_level, host.pamt, host.demote_interruptible),
      pamt_cache: new tdx_pamt_cache('kvm_tdx->pamt_cache', run),
      // Left for tdx_vm_init() to initialise.
      pamt_cache_lock: new mutex(k, '&kvm_tdx->pamt_cache_lock'),
      prealloc_split_cache_lock: new spinlock_t(k, '&kvm_tdx->prealloc_split_cache_lock'),
    },
    vcpus: [],
    mem_attr_array: new interval_map<number>({ run, key: 'attr' }),
    memslot: null as unknown as kvm_memory_slot,
    call,
    host,
    guest: null as unknown as tdx_guest,
    model: new kvm_model(run),
    next_sp_id: new Map<string, number>(),
  } satisfies kvm as kvm;
  const gmem = new kvm_gmem(vm, opts.gmem_pages, opts.backing ?? 'hugetlb', opts.huge_order ?? 9);
  Object.assign(vm, { memslot: { base_gfn: 0, npages: opts.gmem_pages, gmem: { file: gmem, pgoff: 0 } }, guest: new tdx_guest(vm) });
  // The invalidation's fields share a key: only write mmu_lock holders change them.
  record_fields(vm, run, MMU_INVALIDATE, ['mmu_invalidate_in_progress', 'mmu_invalidate_seq', 'mmu_invalidate_range_start', 'mmu_invalidate_range_end']);
  record_fields(vm, run, VM_BUGGED, ['vm_bugged']);
  call.kvm_tdp_mmu_alloc_root(vm, true);
  call.kvm_tdp_mmu_alloc_root(vm, false);
  call.tdx_vm_init(vm);
  for (let i = 0; i < (opts.nr_vcpus ?? 1); i++) vm.vcpus.push(new kvm_vcpu(vm, i));
  if (opts.private ?? true) vm.mem_attr_array.set(0, opts.gmem_pages, KVM_MEMORY_ATTRIBUTE_PRIVATE);
  // The walks' cost reaches the exploration's figures (and the sweep report).
  run.metric('spteVisits', () => vm.stat.spte_visits);
  if (run.tracing) run.describeWith(kvm_describer(vm));
  return vm;
}

/** The guest_memfd bound to the VM's memslot. */
export function kvm_gmem_of(kvm: kvm): kvm_gmem {
  return kvm.memslot.gmem.file;
}

/** Spawns the thread that runs `vcpu` (kvm_vcpu_ioctl(KVM_RUN)); `body` is what the
 * guest does on it. */
export function kvm_vcpu_thread(vcpu: kvm_vcpu, body: (vcpu: kvm_vcpu) => Promise<unknown>, opts: { cpu?: number } = {}): void {
  const name = vcpu.name;
  vcpu.thread = name;
  vcpu.kvm.k.kthread(name, () => body(vcpu), opts);
}
