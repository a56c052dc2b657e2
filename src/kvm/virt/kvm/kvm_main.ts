// virt/kvm/kvm_main.c
// Memory attributes (virt/kvm/kvm_main.c, KVM_SET_MEMORY_ATTRIBUTES): private or
// shared per GFN range, stored as runs, never per page.
import type { Run } from '../../../engine/index.ts';
import { tdx_guest } from '../../arch/x86/coco/tdx/tdx.ts';
import { fmt_gfn, fmt_range, type gfn_t, PT64_ROOT_4LEVEL } from '../../arch/x86/include/asm/kvm_host.ts';
import { KVM_REQ_TLB_FLUSH, kvm_vcpu } from '../../arch/x86/kvm/x86.ts';
import { tdx_td } from '../../arch/x86/virt/vmx/tdx/tdx_module.ts';
import { type tdx_host, tdx_host_of, type tdx_host_opts, tdx_pamt_cache } from '../../arch/x86/virt/vmx/tdx/tdx.ts';
import { __gfn_to_memslot, INVALID_GPA, type kvm, type kvm_arch, type kvm_gfn_range, KVM_MEMORY_ATTRIBUTE_PRIVATE, kvm_mem_attrs_store, type kvm_memory_slot, kvm_memslots, type kvm_memslots as kvm_memslots_t, kvm_memslots_in_range, KVM_MEMSLOT_INVALID, kvm_vcpu_srcu_read_lock, kvm_vcpu_srcu_read_unlock, type kvm_tdx, type kvm_vm_stat } from '../../include/linux/kvm_host.ts';
import { EEXIST, EINVAL } from '../../include/uapi/asm-generic/errno.ts';
import { kvm_describer } from '../../model/describe.ts';
import { model_key } from '../../model/footprint.ts';
import type { kvm_functions } from '../../model/functions.ts';
import { interval_map } from '../../model/interval_map.ts';
import { init_srcu_struct, Kernel, KVM_BUG_ON, lockdep_assert_held, lockdep_assert_held_write, mutex, mutex_init, mutex_lock, mutex_unlock, rwlock_init, rwlock_t, spinlock_t, srcu_struct, synchronize_srcu, WARN_ON, write_lock, write_unlock } from '../../model/kernel.ts';
import { kvm_model } from '../../model/model.ts';
import { type gmem_backing, kvm_gmem, kvm_gmem_bind, kvm_gmem_unbind } from './guest_memfd.ts';

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

// struct kvm_mmu_notifier_range in virt/kvm/kvm_main.c, for the attribute update.
export interface kvm_mmu_notifier_range {
  readonly start: gfn_t;
  readonly end: gfn_t;
  /** range->arg.attributes */
  readonly attributes: number;
  readonly handler: (kvm: kvm, range: kvm_gfn_range) => Promise<boolean>;
  readonly on_lock: ((kvm: kvm) => void) | null;
  readonly flush_on_ret: boolean;
  readonly may_block: boolean;
}

// kvm_handle_gfn_range() in virt/kvm/kvm_main.c: under write mmu_lock (taken at the
// first memslot in [start, end), with on_lock() right after), the handler on each
// memslot's part of the range; a flush if asked and some handler wanted one.
export async function kvm_handle_gfn_range(kvm: kvm, range: kvm_mmu_notifier_range): Promise<void> {
  let found_memslot = false;
  let ret = false;
  const slots = kvm_memslots(kvm);
  for (const slot of kvm_memslots_in_range(slots, range.start, range.end)) {
    const gfn_range: kvm_gfn_range = {
      slot,
      start: Math.max(range.start, slot.base_gfn),
      end: Math.min(range.end, slot.base_gfn + slot.npages),
      attr_filter: 0,
      may_block: range.may_block,
      attributes: range.attributes,
    };
    if (gfn_range.start >= gfn_range.end) continue;
    if (!found_memslot) {
      found_memslot = true;
      await write_lock(kvm.mmu_lock);
      range.on_lock?.(kvm);
    }
    ret = (await range.handler(kvm, gfn_range)) || ret;
  }
  if (range.flush_on_ret && ret) await kvm.call.kvm_flush_remote_tlbs(kvm);
  if (found_memslot) await write_unlock(kvm.mmu_lock);
}

// kvm_pre_set_memory_attributes() in virt/kvm/kvm_main.c: the range joins the
// invalidation (so faults on it retry) whatever the arch zaps.
export async function kvm_pre_set_memory_attributes(kvm: kvm, range: kvm_gfn_range): Promise<boolean> {
  kvm.call.kvm_mmu_invalidate_range_add(kvm, range.start, range.end);
  return kvm.call.kvm_arch_pre_set_memory_attributes(kvm, range);
}

// kvm_vm_set_mem_attributes() in virt/kvm/kvm_main.c (KVM_SET_MEMORY_ATTRIBUTES on the
// VM): under slots_lock, kvm_handle_gfn_range() with the pre-set step (invalidation
// begins, the range is zapped, flushed), the attributes stored, then the post-set
// step (the arch's lpage bookkeeping, the invalidation ends).
export async function kvm_vm_set_mem_attributes(kvm: kvm, start: gfn_t, end: gfn_t, attributes: number): Promise<number> {
  return kvm.model.op('kvm_vm_set_mem_attributes', start, end, true, async () => {
    await mutex_lock(kvm.slots_lock);
    // Nothing to do if the entire range has the desired attributes.
    if (kvm.call.kvm_range_has_memory_attributes(kvm, start, end, ~0, attributes)) {
      await mutex_unlock(kvm.slots_lock);
      return 0;
    }
    await kvm.call.kvm_handle_gfn_range(kvm, {
      start,
      end,
      attributes,
      handler: (vm, r) => vm.call.kvm_pre_set_memory_attributes(vm, r),
      on_lock: (vm) => vm.call.kvm_mmu_invalidate_begin(vm),
      flush_on_ret: true,
      may_block: true,
    });
    kvm_mem_attrs_store(kvm, start, end, attributes);
    await kvm.call.kvm_handle_gfn_range(kvm, {
      start,
      end,
      attributes,
      handler: (vm, r) => vm.call.kvm_arch_post_set_memory_attributes(vm, r),
      on_lock: (vm) => vm.call.kvm_mmu_invalidate_end(vm),
      flush_on_ret: false,
      may_block: true,
    });
    await mutex_unlock(kvm.slots_lock);
    return 0;
  });
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

/** A memslot at creation: GFNs [base_gfn, base_gfn + npages) bound to the VM's
 * guest_memfd at file offset `pgoff` (in pages). */
export interface kvm_memslot_opts {
  readonly base_gfn: gfn_t;
  readonly npages: number;
  readonly pgoff?: number;
}

export interface kvm_create_vm_opts {
  /** guest_memfd size in 4 KiB pages; bound at GFN 0 unless `memslots` say otherwise. */
  readonly gmem_pages: number;
  /** The memslots (KVM_SET_USER_MEMORY_REGION2), each bound to a range of the
   * guest_memfd; default one slot, GFN 0 to `gmem_pages`, at offset 0. */
  readonly memslots?: readonly kvm_memslot_opts[];
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
const MEMSLOTS = new model_key('memslots');
const VM_BUGGED = new model_key('vm_bugged');

function new_stat(): kvm_vm_stat {
  return { spte_visits: 0, pages: [], splits: 0, zaps: 0, faults: 0, fault_retries: 0, split_alloc_drops: 0, pages_tables: 0 };
}

// kvm_create_vm() + tdx_vm_init(): a TD with its roots and vCPUs. `upstream` is the
// model's own functions (model/functions.ts passes them: importing them here would be a cycle).
// Every access to the model's shared state is recorded (footprint.ts), so a
// scenario of the model may declare itself tracked.
/** The fields of struct kvm whose accesses are recorded (kvm_struct's accessors). */
type recorded_field = 'mmu_invalidate_in_progress' | 'mmu_invalidate_seq' | 'mmu_invalidate_range_start' | 'mmu_invalidate_range_end' | 'vm_bugged' | 'memslots';

// struct kvm in include/linux/kvm_host.h: the fields kvm_create_vm() gives it, and
// those whose accesses are recorded as accessors of the class (accessors defined
// on each object made a dictionary-mode one, slower at every access). The
// invalidation's fields share a key: only write mmu_lock holders change them.
class kvm_struct {
  private the_mmu_invalidate_in_progress = 0;
  private the_mmu_invalidate_seq = 0;
  private the_mmu_invalidate_range_start = INVALID_GPA;
  private the_mmu_invalidate_range_end = INVALID_GPA;
  private the_vm_bugged = false;
  private the_memslots: kvm_memslots_t = { generation: 0, slots: [] };

  // The plain fields, assigned one by one by the constructor (Object.assign() of them
  // added each to a fresh object, a dozen transitions); `declare`d, so that no
  // field is first defined as undefined (a field's type then generalizes).
  declare readonly run: Run;
  declare readonly k: Kernel;
  declare readonly mmu_lock: rwlock_t;
  declare readonly slots_lock: mutex;
  declare readonly stat: kvm_vm_stat;
  declare readonly arch: kvm_arch;
  declare readonly tdx: kvm_tdx;
  declare readonly vcpus: kvm_vcpu[];
  declare readonly mem_attr_array: interval_map<number>;
  declare readonly srcu: srcu_struct;
  /** Set once the memslots are bound (they need the VM). */
  declare memslot: kvm_memory_slot;
  declare readonly call: kvm_functions;
  declare readonly host: tdx_host;
  /** Set once the VM is built (the guest needs it). */
  declare guest: tdx_guest;
  declare readonly model: kvm_model;
  declare readonly next_sp_id: Map<string, number>;

  constructor(
    private readonly recorder: Run,
    fields: Omit<kvm, recorded_field>,
  ) {
    this.run = fields.run;
    this.k = fields.k;
    this.mmu_lock = fields.mmu_lock;
    this.slots_lock = fields.slots_lock;
    this.stat = fields.stat;
    this.arch = fields.arch;
    this.tdx = fields.tdx;
    this.vcpus = fields.vcpus;
    this.mem_attr_array = fields.mem_attr_array;
    this.srcu = fields.srcu;
    this.memslot = fields.memslot;
    this.call = fields.call;
    this.host = fields.host;
    this.guest = fields.guest;
    this.model = fields.model;
    this.next_sp_id = fields.next_sp_id;
  }

  /** The memslots at set-up, before any thread runs (not recorded). */
  memslots_at_setup(v: kvm_memslots_t): void {
    this.the_memslots = v;
  }

  get mmu_invalidate_in_progress(): number {
    this.recorder.touch(MMU_INVALIDATE.read);
    return this.the_mmu_invalidate_in_progress;
  }
  set mmu_invalidate_in_progress(v: number) {
    this.recorder.touch(MMU_INVALIDATE.write);
    this.the_mmu_invalidate_in_progress = v;
  }
  get mmu_invalidate_seq(): number {
    this.recorder.touch(MMU_INVALIDATE.read);
    return this.the_mmu_invalidate_seq;
  }
  set mmu_invalidate_seq(v: number) {
    this.recorder.touch(MMU_INVALIDATE.write);
    this.the_mmu_invalidate_seq = v;
  }
  get mmu_invalidate_range_start(): number {
    this.recorder.touch(MMU_INVALIDATE.read);
    return this.the_mmu_invalidate_range_start;
  }
  set mmu_invalidate_range_start(v: number) {
    this.recorder.touch(MMU_INVALIDATE.write);
    this.the_mmu_invalidate_range_start = v;
  }
  get mmu_invalidate_range_end(): number {
    this.recorder.touch(MMU_INVALIDATE.read);
    return this.the_mmu_invalidate_range_end;
  }
  set mmu_invalidate_range_end(v: number) {
    this.recorder.touch(MMU_INVALIDATE.write);
    this.the_mmu_invalidate_range_end = v;
  }
  get vm_bugged(): boolean {
    this.recorder.touch(VM_BUGGED.read);
    return this.the_vm_bugged;
  }
  set vm_bugged(v: boolean) {
    this.recorder.touch(VM_BUGGED.write);
    this.the_vm_bugged = v;
  }
  get memslots(): kvm_memslots_t {
    this.recorder.touch(MEMSLOTS.read);
    return this.the_memslots;
  }
  set memslots(v: kvm_memslots_t) {
    this.recorder.touch(MEMSLOTS.write);
    this.the_memslots = v;
  }
}

/** A memslot at creation, bound to `file` at `pgoff`. */
function memslot_of(id: number, base_gfn: gfn_t, npages: number, file: kvm_gmem, pgoff: number): kvm_memory_slot {
  return { id, base_gfn, npages, flags: 0, gmem: { file, pgoff } };
}

function by_base_gfn(a: kvm_memory_slot, b: kvm_memory_slot): number {
  return a.base_gfn - b.base_gfn;
}

export function kvm_create_vm(run: Run, opts: kvm_create_vm_opts, upstream: kvm_functions): kvm {
  const k = Kernel.of(run);
  const host = tdx_host_of(run, opts.host);
  const root_level = opts.root_level ?? PT64_ROOT_4LEVEL;
  const mmu_lock = new rwlock_t(k, '&kvm->mmu_lock');
  rwlock_init(mmu_lock);
  const slots_lock = new mutex(k, '&kvm->slots_lock');
  mutex_init(slots_lock);
  const call: kvm_functions = opts.overrides === undefined ? (opts.functions ?? upstream) : { ...(opts.functions ?? upstream), ...opts.overrides };
  const fields = {
    run,
    k,
    mmu_lock,
    slots_lock,
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
    srcu: new srcu_struct(k, '&kvm->srcu'),
    memslot: null as unknown as kvm_memory_slot,
    call,
    host,
    guest: null as unknown as tdx_guest,
    model: new kvm_model(run),
    next_sp_id: new Map<string, number>(),
  } satisfies Omit<kvm, recorded_field>;
  const vm_struct = new kvm_struct(run, fields);
  const vm = vm_struct as unknown as kvm;
  init_srcu_struct(vm.srcu);
  const gmem = new kvm_gmem(vm, opts.gmem_pages, opts.backing ?? 'hugetlb', opts.huge_order ?? 9);
  const slots: kvm_memory_slot[] = [];
  if (opts.memslots === undefined) slots.push(memslot_of(0, 0, opts.gmem_pages, gmem, 0));
  else for (let id = 0; id < opts.memslots.length; id++) {
    const m = opts.memslots[id]!;
    slots.push(memslot_of(id, m.base_gfn, m.npages, gmem, m.pgoff ?? 0));
  }
  for (const slot of slots) {
    if (kvm_gmem_bind(vm, slot, gmem, slot.gmem.pgoff) !== 0) throw new Error(`kvm_create_vm: memslot ${slot.id} does not fit the guest_memfd, or overlaps another`);
  }
  vm_struct.memslots_at_setup({ generation: 0, slots: slots.length === 1 ? [slots[0]!] : [...slots].sort(by_base_gfn) });
  vm_struct.memslot = slots[0]!;
  vm_struct.guest = new tdx_guest(vm);
  call.kvm_tdp_mmu_alloc_root(vm, true);
  call.kvm_tdp_mmu_alloc_root(vm, false);
  call.tdx_vm_init(vm);
  for (let i = 0; i < (opts.nr_vcpus ?? 1); i++) vm.vcpus.push(new kvm_vcpu(vm, i));
  if (opts.private ?? true) for (const slot of slots) vm.mem_attr_array.set(slot.base_gfn, slot.base_gfn + slot.npages, KVM_MEMORY_ATTRIBUTE_PRIVATE);
  // The walks' cost reaches the exploration's figures (and the sweep report).
  run.metric('spteVisits', () => vm.stat.spte_visits);
  if (run.tracing) run.describeWith(kvm_describer(vm));
  return vm;
}

// Memslot updates (virt/kvm/kvm_main.c, KVM_SET_USER_MEMORY_REGION2): a new set of
// slots is published with rcu_assign_pointer(), then synchronize_srcu() waits for
// every reader of the old set (a vCPU handling an exit under kvm->srcu). Deleting a
// slot first publishes it marked KVM_MEMSLOT_INVALID (faults on it retry), zaps what
// it maps, then publishes the set without it.

// enum kvm_mr_change in include/linux/kvm_host.h
export const KVM_MR_CREATE = 0;
export const KVM_MR_DELETE = 1;

// struct kvm_userspace_memory_region2 in include/uapi/linux/kvm.h, in pages: `npages`
// 0 deletes slot `slot`.
export interface kvm_userspace_memory_region2 {
  readonly slot: number;
  readonly base_gfn: gfn_t;
  readonly npages: number;
  /** guest_memfd and guest_memfd_offset; default the VM's guest_memfd at `base_gfn`. */
  readonly gmem?: kvm_gmem;
  readonly pgoff?: number;
}

// kvm_vcpu_gfn_to_memslot() in virt/kvm/kvm_main.c: under kvm->srcu.
export function kvm_vcpu_gfn_to_memslot(vcpu: kvm_vcpu, gfn: gfn_t): kvm_memory_slot | null {
  return __gfn_to_memslot(kvm_memslots(vcpu.kvm), gfn);
}

// kvm_swap_active_memslots() in virt/kvm/kvm_main.c: publish `slots`, then wait out
// the readers of the previous set (synchronize_srcu_expedited()).
export async function kvm_swap_active_memslots(kvm: kvm, slots: readonly kvm_memory_slot[]): Promise<void> {
  lockdep_assert_held(kvm.slots_lock);
  const old = kvm.memslots;
  await kvm.run.point({ kind: 'rcu_assign_pointer', obj: 'kvm->memslots', footprint: [MEMSLOTS.write] });
  kvm.memslots = { generation: old.generation + 1, slots: [...slots].sort((a, b) => a.base_gfn - b.base_gfn) };
  if (kvm.run.tracing) kvm.run.event(`kvm->memslots generation ${old.generation + 1}: ${kvm.memslots.slots.map((s) => `slot ${s.id} ${fmt_range(s.base_gfn, s.base_gfn + s.npages)}${s.flags & KVM_MEMSLOT_INVALID ? ' (invalid)' : ''}`).join(', ') || 'none'}`);
  kvm.model.bump();
  await synchronize_srcu(kvm.srcu);
}

// kvm_set_memslot() in virt/kvm/kvm_main.c (KVM_MR_CREATE, KVM_MR_DELETE)
export async function kvm_set_memslot(kvm: kvm, old: kvm_memory_slot | null, new_slot: kvm_memory_slot | null, change: number): Promise<number> {
  const slots = kvm.memslots.slots;
  if (change === KVM_MR_DELETE) {
    // kvm_invalidate_memslot(): faults on the slot retry from now on, and once the
    // readers that could have missed that are gone, nothing maps it after the zap.
    const invalid: kvm_memory_slot = { ...old!, flags: old!.flags | KVM_MEMSLOT_INVALID };
    await kvm.call.kvm_swap_active_memslots(kvm, slots.map((s) => (s === old ? invalid : s)));
    await kvm.call.kvm_arch_flush_shadow_memslot(kvm, old!);
    // kvm_delete_memslot()
    await kvm.call.kvm_swap_active_memslots(kvm, kvm.memslots.slots.filter((s) => s !== invalid));
    await kvm_gmem_unbind(old!);
    return 0;
  }
  // kvm_create_memslot()
  await kvm.call.kvm_swap_active_memslots(kvm, [...slots, new_slot!]);
  return 0;
}

// __kvm_set_memory_region() in virt/kvm/kvm_main.c: creates or deletes a slot (no
// moves or flag changes in the model).
export async function __kvm_set_memory_region(kvm: kvm, mem: kvm_userspace_memory_region2): Promise<number> {
  lockdep_assert_held(kvm.slots_lock);
  const slots = kvm_memslots(kvm);
  const old = slots.slots.find((s) => s.id === mem.slot) ?? null;
  if (mem.npages === 0) return old === null ? -EINVAL : kvm.call.kvm_set_memslot(kvm, old, null, KVM_MR_DELETE);
  if (old !== null) return -EINVAL;
  if (kvm_memslots_in_range(slots, mem.base_gfn, mem.base_gfn + mem.npages).length > 0) return -EEXIST;
  const file = mem.gmem ?? kvm.memslot.gmem.file;
  const slot: kvm_memory_slot = { id: mem.slot, base_gfn: mem.base_gfn, npages: mem.npages, flags: 0, gmem: { file, pgoff: mem.pgoff ?? mem.base_gfn } };
  const r = kvm_gmem_bind(kvm, slot, file, slot.gmem.pgoff);
  if (r !== 0) return r;
  return kvm.call.kvm_set_memslot(kvm, null, slot, KVM_MR_CREATE);
}

// kvm_set_memory_region() in virt/kvm/kvm_main.c: under slots_lock. Deleting a slot
// discards its private memory, as userspace asked.
export async function kvm_set_memory_region(kvm: kvm, mem: kvm_userspace_memory_region2): Promise<number> {
  const old = kvm.memslots.slots.find((s) => s.id === mem.slot);
  const [start, end] = mem.npages === 0 && old !== undefined ? [old.base_gfn, old.base_gfn + old.npages] : [mem.base_gfn, mem.base_gfn + mem.npages];
  return kvm.model.op('kvm_set_memory_region', start, end, mem.npages === 0, async () => {
    await mutex_lock(kvm.slots_lock);
    const r = await kvm.call.__kvm_set_memory_region(kvm, mem);
    await mutex_unlock(kvm.slots_lock);
    return r;
  });
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
  // kvm_arch_vcpu_ioctl_run(): KVM code runs under kvm->srcu (guest entry drops it).
  vcpu.kvm.k.kthread(
    name,
    async () => {
      await kvm_vcpu_srcu_read_lock(vcpu);
      const r = await body(vcpu);
      if (vcpu.srcu_depth > 0) await kvm_vcpu_srcu_read_unlock(vcpu);
      return r;
    },
    opts,
  );
}
