// arch/x86/kvm/mmu/tdp_mmu.c
// Allocating and freeing TDP MMU page tables (arch/x86/kvm/mmu/tdp_mmu.c): from the
// vCPU's caches in the fault path, with GFP_KERNEL_ACCOUNT (mmu_lock dropped) for
// splits, and freed after an RCU grace period once unlinked. The struct, its page
// (sp->spt) and the S-EPT page (sp->external_spt) are real allocations that KASAN and
// kmemleak follow (model/lifetime.ts says what still points to them).
import type { Footprint } from '../../../../../engine/index.ts';
import { fmt_gfn, fmt_range, gfn_round_for_level, type gfn_t, KVM_PAGES_PER_HPAGE, level_name, PG_LEVEL_4K, SPTE_ENT_PER_PAGE, SPTE_INDEX } from '../../include/asm/kvm_host.ts';
import { is_mirror_sp, is_mirror_sptep, kvm_mmu_page, type kvm_mmu_page_role, mmu_page_header_cache, type tdp_ptep_t } from './mmu_internal.ts';
import { type kvm_page_fault, RET_PF_FIXED, RET_PF_RETRY, RET_PF_SPURIOUS } from './mmu.ts';
import { FROZEN_SPTE, is_frozen_spte, is_large_pte, is_last_spte, is_shadow_present_pte, type leaf_spte, make_nonleaf_spte, make_spte, SHADOW_NONPRESENT_VALUE, spte_to_child_sp, spte_to_pfn, type u64 } from './spte.ts';
import { for_each_tdp_pte, for_each_tdp_pte_min_level, type tdp_iter } from './tdp_iter.ts';
import { type kvm_vcpu, tlb_entries_in } from '../x86.ts';
import { EBUSY, EIO, ENOMEM } from '../../../../include/uapi/asm-generic/errno.ts';
import { type kvm, kvm_direct_root, KVM_FILTER_PRIVATE, KVM_FILTER_SHARED, type kvm_gfn_range, kvm_mirror_root, ROOTS } from '../../../../include/linux/kvm_host.ts';
import { range_write } from '../../../../model/footprint.ts';
import { kmemleak_track_sp, root_ref_put, root_ref_taken, sp_memory_at_setup } from '../../../../model/lifetime.ts';
import { call_rcu, cond_resched_rwlock_read, cond_resched_rwlock_write, free_page, get_zeroed_page, GFP_KERNEL_ACCOUNT, kasan_check_read, kmem_cache_free, kmem_cache_zalloc, KVM_BUG_ON, kvm_mmu_memory_cache_alloc, lockdep_assert_held_read, lockdep_assert_held_write, rcu_read_lock, rcu_read_unlock, read_lock, read_unlock, refcount_dec_and_test, refcount_inc_not_zero, refcount_read, refcount_set, refcount_t, rwlock_is_contended, WARN_ON, write_lock, write_unlock } from '../../../../model/kernel.ts';

/** A new, unlinked table. Its id comes from the allocating thread's own sequence
 * (set-up's is plain numbers), so allocations by different threads commute. */
export function kvm_mmu_page_new(kvm: kvm): kvm_mmu_page {
  const thread = kvm.run.current?.name ?? '';
  const n = kvm.next_sp_id.get(thread) ?? 0;
  kvm.next_sp_id.set(thread, n + 1);
  return new kvm_mmu_page(thread === '' ? n : `${n}@${thread}`, kvm.run);
}

// tdp_mmu_alloc_sp() in arch/x86/kvm/mmu/tdp_mmu.c: from the vCPU's caches (under
// mmu_lock): the struct from mmu_page_header_cache, sp->spt from mmu_shadow_page_cache.
export async function tdp_mmu_alloc_sp(vcpu: kvm_vcpu): Promise<kvm_mmu_page> {
  const header = await kvm_mmu_memory_cache_alloc(vcpu.arch.mmu_page_header_cache);
  const spt = await kvm_mmu_memory_cache_alloc(vcpu.arch.mmu_shadow_page_cache);
  const sp = vcpu.kvm.call.kvm_mmu_page_new(vcpu.kvm);
  sp.header = header;
  sp.spt_page = spt;
  kmemleak_track_sp(vcpu.kvm, sp);
  return sp;
}

// kvm_mmu_alloc_external_spt() in arch/x86/kvm/mmu/mmu_internal.h
export async function kvm_mmu_alloc_external_spt(vcpu: kvm_vcpu, sp: kvm_mmu_page): Promise<void> {
  sp.external_spt_page = await kvm_mmu_memory_cache_alloc(vcpu.arch.mmu_external_spt_cache);
  sp.external_spt = vcpu.kvm.host.alloc_pages(0);
  kmemleak_track_sp(vcpu.kvm, sp);
}

// __tdp_mmu_alloc_sp_for_split() in arch/x86/kvm/mmu/tdp_mmu.c: may sleep. The struct
// (kmem_cache_zalloc()), then sp->spt (get_zeroed_page()) and, for a mirror table, the
// S-EPT page (TDX huge pages: "KVM: x86/tdp_mmu: Alloc external_spt page for mirror
// page table splitting"); a failure frees what was allocated and returns NULL.
export async function __tdp_mmu_alloc_sp_for_split(kvm: kvm, is_mirror: boolean): Promise<kvm_mmu_page | null> {
  const cache = mmu_page_header_cache(kvm.k);
  const header = kmem_cache_zalloc(cache, GFP_KERNEL_ACCOUNT);
  if (header === null) return null;
  const spt = get_zeroed_page(kvm.k, GFP_KERNEL_ACCOUNT);
  if (spt === null) {
    kmem_cache_free(cache, header);
    return null;
  }
  let external = null;
  if (is_mirror) {
    external = get_zeroed_page(kvm.k, GFP_KERNEL_ACCOUNT);
    if (external === null) {
      free_page(spt);
      kmem_cache_free(cache, header);
      return null;
    }
  }
  const sp = kvm.call.kvm_mmu_page_new(kvm);
  sp.header = header;
  sp.spt_page = spt;
  sp.external_spt_page = external;
  if (is_mirror) sp.external_spt = kvm.host.alloc_pages(0);
  kmemleak_track_sp(kvm, sp);
  return sp;
}

// tdp_mmu_init_sp() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_init_sp(sp: kvm_mmu_page, sptep: tdp_ptep_t | null, gfn: gfn_t, role: kvm_mmu_page_role): void {
  sp.role = role;
  sp.gfn = gfn;
  sp.ptep = sptep;
}

// tdp_mmu_init_child_sp() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_init_child_sp(child_sp: kvm_mmu_page, iter: tdp_iter): void {
  const parent = iter.sptep.sp;
  tdp_mmu_init_sp(child_sp, iter.sptep, iter.gfn, { level: iter.level - 1, is_mirror: parent.role.is_mirror, invalid: false });
}

// tdp_mmu_free_sp() in arch/x86/kvm/mmu/tdp_mmu.c: the S-EPT page gives back its DPAMT
// reference (RFC v5), then free_page(sp->external_spt), free_page(sp->spt),
// kmem_cache_free(mmu_page_header_cache, sp). Freeing a table twice is KASAN's
// double-free (the model does not check the reads of sp's own fields on the way).
export async function tdp_mmu_free_sp(kvm: kvm, sp: kvm_mmu_page): Promise<void> {
  if (sp.external_spt !== null && sp.external_spt_pamt) {
    sp.external_spt_pamt = false;
    await kvm.call.tdx_pamt_put(kvm, sp.external_spt, sp.gfn);
  }
  free_page(sp.external_spt_page);
  free_page(sp.spt_page);
  if (sp.header !== null) kmem_cache_free(mmu_page_header_cache(kvm.k), sp.header);
}

// tdp_mmu_free_sp_rcu_callback() in arch/x86/kvm/mmu/tdp_mmu.c: runs in softirq.
export async function tdp_mmu_free_sp_rcu_callback(kvm: kvm, sp: kvm_mmu_page): Promise<void> {
  await kvm.call.tdp_mmu_free_sp(kvm, sp);
}

// Model-internal, uncounted lookups of the TDP MMU tree: what the CPU's page walker
// and the invariants read. Not a kernel walk (kernel walks are tdp_iter and count).

export interface spte_walk {
  /** The leaf mapping the GFN, if any. */
  readonly leaf: leaf_spte | null;
  readonly level: number;
  /** First GFN of the entry the walk ended on. */
  readonly gfn: gfn_t;
  readonly sptep: tdp_ptep_t;
  /** An entry on the path is FROZEN_SPTE. */
  readonly frozen: boolean;
}

/** Walks from `root` to the entry mapping `gfn` (a leaf, or where the walk stops). */
export function tdp_mmu_walk_gfn(root: kvm_mmu_page, gfn: gfn_t): spte_walk {
  let sp = root;
  for (;;) {
    const level = sp.role.level;
    const index = SPTE_INDEX(gfn, level);
    const spte = sp.read(index);
    const sptep = { sp, index };
    const base = gfn_round_for_level(gfn, level);
    if (is_last_spte(spte, level)) return { leaf: spte, level, gfn: base, sptep, frozen: false };
    const child = spte_to_child_sp(spte);
    if (child === null) return { leaf: null, level, gfn: base, sptep, frozen: is_frozen_spte(spte) };
    sp = child;
  }
}

/** `per_entry`: tdp_mmu_leaves() records each read of a table as it makes it, even
 * when only the invariants' watch takes them (the plain method; tests compare). */
export const leaves_reads = { per_entry: false };

/** A leaf tdp_mmu_leaves() lists (a frozen entry: null SPTE). */
export interface tdp_leaf {
  gfn: gfn_t;
  level: number;
  spte: leaf_spte | null;
}

/** Leaves under `root` inside [start, end), in order, with frozen entries reported
 * as leaves with a null SPTE. Cost proportional to what is mapped there. With
 * `min_level` (as for_each_tdp_pte_min_level()), only the leaves at that level or
 * above: tables below it are not walked (a split table's 4K leaves, say). */
export function tdp_mmu_leaves(root: kvm_mmu_page, start: gfn_t, end: gfn_t, min_level = PG_LEVEL_4K): IterableIterator<tdp_leaf> {
  return new tdp_leaves_walk(root, start, end, min_level);
}

/** The walk of tdp_mmu_leaves(): an iterator of its own rather than a generator,
 * whose every resumption cost about as much as the rest of the step to the next
 * leaf. One stack of tables (not a walk per table delegating to its children's);
 * each table is walked and its reads recorded as sp.entries() does, a table left
 * at `end` (or by a caller that stops) without the read of its rest. A table's
 * reads are contiguous: when only the invariants' watch takes them (which keeps a
 * key's bounds), they are recorded as one range when the walk leaves the table, or
 * stops. The walk starts at the first next(), as a generator's body would. */
class tdp_leaves_walk implements IterableIterator<tdp_leaf> {
  private stack: leaves_frame[] | null = null;

  constructor(
    private readonly root: kvm_mmu_page,
    private readonly start: gfn_t,
    private readonly end: gfn_t,
    private readonly min_level: number,
  ) {}

  [Symbol.iterator](): this {
    return this;
  }

  next(): IteratorResult<tdp_leaf> {
    let stack = this.stack;
    if (stack === null) {
      stack = this.stack = [];
      stack.push(leaves_frame_of(this.root, this.start));
    }
    const end = this.end;
    while (stack.length > 0) {
      const f = stack[stack.length - 1]!;
      const sp = f.sp;
      const i = sp.walk_next(f.next);
      if (i >= SPTE_ENT_PER_PAGE) {
        if (f.recording) leaves_read(f, SPTE_ENT_PER_PAGE);
        leaves_leave(stack.pop()!);
        continue;
      }
      if (f.recording) leaves_read(f, i + 1);
      f.next = i + 1;
      const spte = sp.walk_entry(i);
      const gfn = sp.gfn + i * f.n;
      if (gfn >= end) {
        leaves_leave(stack.pop()!);
        continue;
      }
      if (is_last_spte(spte, f.level)) return { value: { gfn, level: f.level, spte }, done: false };
      if (is_frozen_spte(spte)) return { value: { gfn, level: f.level, spte: null }, done: false };
      const child = spte_to_child_sp(spte);
      if (child !== null && child.role.level >= this.min_level) stack.push(leaves_frame_of(child, this.start));
    }
    return { value: undefined, done: true };
  }

  /** A caller that stopped: the reads of the tables still open are recorded. */
  return(): IteratorResult<tdp_leaf> {
    const stack = this.stack;
    this.stack = [];
    if (stack !== null) for (const f of stack) leaves_leave(f);
    return { value: undefined, done: true };
  }
}

/** A table tdp_mmu_leaves() walks: where it is in it, and whether it records. */
interface leaves_frame {
  readonly sp: kvm_mmu_page;
  readonly level: number;
  readonly n: number;
  /** The next index to look at; the entries before it were read. */
  next: number;
  readonly recording: boolean;
  /** Its reads are recorded when the walk leaves it: [merged_lo, merged_hi) so far. */
  readonly merge: boolean;
  readonly merged_lo: number;
  merged_hi: number;
}

function leaves_frame_of(sp: kvm_mmu_page, start: gfn_t): leaves_frame {
  const level = sp.role.level;
  const n = KVM_PAGES_PER_HPAGE(level);
  const first = start <= sp.gfn ? 0 : SPTE_INDEX(start, level);
  const recording = sp.walk_start();
  const merge = recording && !leaves_reads.per_entry && sp.walk_merges();
  return { sp, level, n, next: first, recording, merge, merged_lo: first, merged_hi: first };
}

/** The walk read `f`'s entries from `f.next` up to `hi`. */
function leaves_read(f: leaves_frame, hi: number): void {
  if (f.merge) f.merged_hi = hi;
  else f.sp.walk_read(f.next, hi);
}

/** The walk leaves `f`: its merged reads are recorded. */
function leaves_leave(f: leaves_frame): void {
  if (f.merge && f.merged_hi > f.merged_lo) {
    f.sp.walk_read(f.merged_lo, f.merged_hi);
    f.merged_hi = f.merged_lo;
  }
}

// Mapping a fault (arch/x86/kvm/mmu/tdp_mmu.c): walk to the goal level under read
// mmu_lock, linking missing tables, and install the leaf with cmpxchg; for the mirror
// root the TDX module adds the page (AUG) while the SPTE is frozen.

// tdp_mmu_get_root_for_fault() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_get_root_for_fault(vcpu: kvm_vcpu, fault: kvm_page_fault): kvm_mmu_page {
  return fault.is_private ? kvm_mirror_root(vcpu.kvm) : kvm_direct_root(vcpu.kvm);
}

// tdp_mmu_map_handle_target_level() in arch/x86/kvm/mmu/tdp_mmu.c
export async function tdp_mmu_map_handle_target_level(vcpu: kvm_vcpu, fault: kvm_page_fault, iter: tdp_iter): Promise<number> {
  const kvm = vcpu.kvm;
  if (WARN_ON(iter.level !== fault.goal_level, 'tdp_mmu_map_handle_target_level(): level != goal_level')) return RET_PF_RETRY;
  const old_spte = iter.old_spte;
  if (is_shadow_present_pte(old_spte) && is_last_spte(old_spte, iter.level)) return RET_PF_SPURIOUS;
  const new_spte = make_spte(iter.level, fault.pfn - (fault.gfn - iter.gfn));
  if ((await kvm.call.tdp_mmu_set_spte_atomic(kvm, iter, new_spte)) !== 0) return RET_PF_RETRY;
  // A table was replaced by a huge leaf (never on the mirror root).
  if (is_shadow_present_pte(old_spte) && !is_last_spte(old_spte, iter.level)) await kvm.call.kvm_flush_remote_tlbs(kvm);
  return RET_PF_FIXED;
}

// kvm_tdp_mmu_map() in arch/x86/kvm/mmu/tdp_mmu.c: under read mmu_lock.
export async function kvm_tdp_mmu_map(vcpu: kvm_vcpu, fault: kvm_page_fault): Promise<number> {
  const kvm = vcpu.kvm;
  const root = kvm.call.tdp_mmu_get_root_for_fault(vcpu, fault);
  let ret = RET_PF_RETRY;
  kvm.call.kvm_mmu_hugepage_adjust(kvm, fault);
  await rcu_read_lock();
  for (const iter of for_each_tdp_pte(kvm.stat, root, fault.gfn, fault.gfn + 1)) {
    // If SPTE has been frozen by another thread, just give up and retry.
    if (is_frozen_spte(iter.old_spte)) break;
    // Disallow hugepage promotion for mirror roots (RFC v5: "Prevent hugepage
    // promotion for mirror roots in fault path").
    if (is_mirror_sp(root)) kvm.call.disallowed_hugepage_adjust(fault, iter.old_spte, iter.level);
    if (is_mirror_sptep(iter.sptep) && is_shadow_present_pte(iter.old_spte)) {
      // A huge leaf above the goal level is split by the guest's next ACCEPT, which
      // exits as a size mismatch (tdx_handle_mismatched_accept()), not here.
      if (iter.level > fault.goal_level && is_large_pte(iter.old_spte)) {
        ret = RET_PF_SPURIOUS;
        break;
      }
    }
    if (iter.level === fault.goal_level) {
      ret = await kvm.call.tdp_mmu_map_handle_target_level(vcpu, fault, iter);
      break;
    }
    // Step down into the lower level page table if it exists.
    if (is_shadow_present_pte(iter.old_spte) && !is_large_pte(iter.old_spte)) continue;
    // The SPTE is either non-present or points to a huge page that needs to be split.
    const sp = await kvm.call.tdp_mmu_alloc_sp(vcpu);
    kvm.call.tdp_mmu_init_child_sp(sp, iter);
    if (is_mirror_sp(sp)) await kvm.call.kvm_mmu_alloc_external_spt(vcpu, sp);
    let r: number;
    if (is_shadow_present_pte(iter.old_spte)) {
      // Don't support large page for mirrored roots (TDX).
      KVM_BUG_ON(is_mirror_sptep(iter.sptep), kvm, 'kvm_tdp_mmu_map(): huge mirror SPTE split in the fault path');
      r = await kvm.call.tdp_mmu_split_huge_page(kvm, iter, sp, true);
    } else {
      r = await kvm.call.tdp_mmu_link_sp(kvm, iter, sp, true);
    }
    // Force the guest to retry if installing an upper level SPTE failed.
    if (r !== 0) {
      await kvm.call.tdp_mmu_free_sp(kvm, sp);
      break;
    }
  }
  await rcu_read_unlock();
  return ret;
}

// Yielding mmu_lock in long walks (arch/x86/kvm/mmu/tdp_mmu.c): a walker drops the
// lock when another thread wants it, then restarts from the root.

// tdp_mmu_iter_need_resched() in arch/x86/kvm/mmu/tdp_mmu.c. need_resched() is never
// set in the model: a spinning holder yields only to contention (rwlock_needbreak()).
export function tdp_mmu_iter_need_resched(kvm: kvm, iter: tdp_iter): boolean {
  if (!rwlock_is_contended(kvm.mmu_lock)) return false;
  // Ensure forward progress has been made before yielding.
  return iter.next_last_level_gfn !== iter.yielded_gfn;
}

// tdp_mmu_iter_cond_resched() in arch/x86/kvm/mmu/tdp_mmu.c: returns true when it
// yielded; the iterator then restarts from the root at next_last_level_gfn.
export async function tdp_mmu_iter_cond_resched(kvm: kvm, iter: tdp_iter, flush: boolean, shared: boolean): Promise<boolean> {
  if (!kvm.call.tdp_mmu_iter_need_resched(kvm, iter)) return false;
  if (flush) await kvm.call.kvm_flush_remote_tlbs(kvm);
  await rcu_read_unlock();
  if (shared) await cond_resched_rwlock_read(kvm.mmu_lock);
  else await cond_resched_rwlock_write(kvm.mmu_lock);
  await rcu_read_lock();
  iter.yielded = true;
  return true;
}

// TDP MMU roots (arch/x86/kvm/mmu/tdp_mmu.c): the mirror root (KVM's copy of the
// S-EPT) and the normal root (shared memory), each refcounted; walkers take a
// reference on each root they visit.

// enum kvm_tdp_mmu_root_types in arch/x86/kvm/mmu/tdp_mmu.h
export const KVM_DIRECT_ROOTS = 1 << 0;
export const KVM_MIRROR_ROOTS = 1 << 1;
export const KVM_VALID_ROOTS = 1 << 2;
export const KVM_ALL_ROOTS = KVM_DIRECT_ROOTS | KVM_MIRROR_ROOTS;

// kvm_tdp_mmu_alloc_root() in arch/x86/kvm/mmu/tdp_mmu.c, at VM setup (no scheduling point).
export function kvm_tdp_mmu_alloc_root(kvm: kvm, mirror: boolean): kvm_mmu_page {
  const root = kvm.call.kvm_mmu_page_new(kvm);
  sp_memory_at_setup(kvm, root, false);
  tdp_mmu_init_sp(root, null, 0, { level: kvm.arch.root_level, is_mirror: mirror, invalid: false });
  const count = new refcount_t(mirror ? 'mirror_root->tdp_mmu_root_count' : 'direct_root->tdp_mmu_root_count');
  refcount_set(count, 1);
  root.tdp_mmu_root_count = count;
  kvm.run.touch(ROOTS.write);
  kvm.arch.tdp_mmu_roots.push(root);
  return root;
}

function root_count(root: kvm_mmu_page): refcount_t {
  return root.tdp_mmu_root_count as refcount_t;
}

/** Current references on a root (a recorded read of the count). */
export function tdp_mmu_root_refs(kvm: kvm, root: kvm_mmu_page): number {
  const count = root_count(root);
  if (kvm.run.recording) kvm.run.touch({ key: count.fp_write[0]!.key, access: 'read' });
  return refcount_read(count);
}

// kvm_tdp_mmu_get_root() in arch/x86/kvm/mmu/tdp_mmu.h (KASAN checks the access to
// root->tdp_mmu_root_count, in the struct's own memory).
export async function kvm_tdp_mmu_get_root(root: kvm_mmu_page): Promise<boolean> {
  const ok = await refcount_inc_not_zero(root_count(root));
  if (root.header !== null) kasan_check_read(root.header, 4);
  if (ok) root_ref_taken(root);
  return ok;
}

// kvm_tdp_mmu_put_root() in arch/x86/kvm/mmu/tdp_mmu.c
export async function kvm_tdp_mmu_put_root(kvm: kvm, root: kvm_mmu_page): Promise<void> {
  root_ref_put(root);
  const last = await refcount_dec_and_test(root_count(root));
  if (root.header !== null) kasan_check_read(root.header, 4);
  if (!last) return;
  // The root is already invalid (kvm_tdp_mmu_invalidate_roots()); unlink it and free
  // it once readers that may still walk it are gone.
  const roots = kvm.arch.tdp_mmu_roots;
  kvm.run.touch(ROOTS.write);
  roots.splice(roots.indexOf(root), 1);
  call_rcu(root, () => kvm.call.tdp_mmu_free_sp_rcu_callback(kvm, root));
}

/** The root types a range filter selects: kvm_gfn_range_filter_to_root_types(). */
export function root_types_match(kvm: kvm, root: kvm_mmu_page, types: number): boolean {
  kvm.run.touch(ROOTS.read);
  if ((types & KVM_VALID_ROOTS) !== 0 && root.role.invalid) return false;
  return root.role.is_mirror ? (types & KVM_MIRROR_ROOTS) !== 0 : (types & KVM_DIRECT_ROOTS) !== 0;
}

// __for_each_tdp_mmu_root_yield_safe() / tdp_mmu_next_root() in arch/x86/kvm/mmu/tdp_mmu.c:
// yields each root of `types` with a reference taken (kvm_tdp_mmu_get_root()). As in
// the kernel, the reference on a root is dropped only when the loop advances past it
// (tdp_mmu_next_root() puts prev_root) or runs off the end: a caller that leaves the
// loop early (break, return, an exception) still holds the root it was visiting and
// must kvm_tdp_mmu_put_root() it itself, or the reference leaks.
export async function* for_each_tdp_mmu_root_yield_safe(kvm: kvm, types: number): AsyncGenerator<kvm_mmu_page, void, void> {
  kvm.run.touch(ROOTS.read);
  let prev: kvm_mmu_page | null = null;
  for (const root of [...kvm.arch.tdp_mmu_roots]) {
    if (!root_types_match(kvm, root, types)) continue;
    if (!(await kvm.call.kvm_tdp_mmu_get_root(root))) continue;
    if (prev !== null) await kvm.call.kvm_tdp_mmu_put_root(kvm, prev);
    prev = root;
    yield root;
  }
  if (prev !== null) await kvm.call.kvm_tdp_mmu_put_root(kvm, prev);
}

// Splitting huge leaves (arch/x86/kvm/mmu/tdp_mmu.c): a walk that drops mmu_lock and
// RCU to allocate each new table and then restarts from the root, and the split of
// one leaf into a table of 512 leaves one level down. On the mirror root the TDX
// module splits its leaf too (BLOCK, TRACK, DEMOTE: tdx_sept_split_private_spte()).

// kvm_lockdep_assert_mmu_lock_held() in arch/x86/kvm/mmu/tdp_mmu.c
export function kvm_lockdep_assert_mmu_lock_held(kvm: kvm, shared: boolean): void {
  if (shared) lockdep_assert_held_read(kvm.mmu_lock);
  else lockdep_assert_held_write(kvm.mmu_lock);
}

// tdp_mmu_split_huge_page() in arch/x86/kvm/mmu/tdp_mmu.c
export async function tdp_mmu_split_huge_page(kvm: kvm, iter: tdp_iter, sp: kvm_mmu_page, shared: boolean): Promise<number> {
  const huge_spte = iter.old_spte as leaf_spte;
  const level = iter.level;
  // No need for atomics when writing to sp->spt since the page table has not been
  // linked in yet and thus is not reachable from any other CPU.
  sp.populate(huge_spte, level - 1);
  // Replace the huge spte with a pointer to the populated lower level page table.
  const ret = await kvm.call.tdp_mmu_link_sp(kvm, iter, sp, shared);
  if (kvm.run.tracing) kvm.run.event(`split ${spte_name(iter.sptep, iter.gfn, level)} into ${SPTE_ENT_PER_PAGE} leaves one level down: ${ret === 0 ? 'linked' : `failed (${ret})`}`);
  if (ret !== 0) return ret;
  kvm.call.kvm_update_page_stats(kvm, level - 1, SPTE_ENT_PER_PAGE);
  kvm.stat.splits++;
  return 0;
}

// iter_cross_boundary() (v3 "KVM: Introduce kvm_split_cross_boundary_leafs()")
export function iter_cross_boundary(iter: tdp_iter, start: gfn_t, end: gfn_t): boolean {
  return !(iter.gfn >= start && iter.gfn + KVM_PAGES_PER_HPAGE(iter.level) <= end);
}

// tdp_mmu_alloc_sp_for_split() in arch/x86/kvm/mmu/tdp_mmu.c: drops RCU and mmu_lock
// to allocate with GFP_KERNEL; the walk restarts from the root afterwards.
export async function tdp_mmu_alloc_sp_for_split(kvm: kvm, iter: tdp_iter, root: kvm_mmu_page, shared: boolean): Promise<kvm_mmu_page | null> {
  await rcu_read_unlock();
  if (shared) await read_unlock(kvm.mmu_lock);
  else await write_unlock(kvm.mmu_lock);
  kvm.stat.split_alloc_drops++;
  const sp = await kvm.call.__tdp_mmu_alloc_sp_for_split(kvm, root.role.is_mirror);
  if (shared) await read_lock(kvm.mmu_lock);
  else await write_lock(kvm.mmu_lock);
  await rcu_read_lock();
  iter.yielded = true;
  return sp;
}

// tdp_mmu_split_huge_pages_root() in arch/x86/kvm/mmu/tdp_mmu.c (exported for TDX as
// Sean suggested on v3; `only_cross_boundary` is v3's flag): split every huge leaf
// above `target_level` in [start, end), one level per visit; pre-order traversal
// splits a 1G leaf down to 4K in one walk.
export async function tdp_mmu_split_huge_pages_root(
  kvm: kvm,
  root: kvm_mmu_page,
  start: gfn_t,
  end: gfn_t,
  target_level: number,
  shared: boolean,
  only_cross_boundary: boolean,
): Promise<number> {
  kvm.call.kvm_lockdep_assert_mmu_lock_held(kvm, shared);
  let sp: kvm_mmu_page | null = null;
  await rcu_read_lock();
  for (const iter of for_each_tdp_pte_min_level(kvm.stat, root, target_level + 1, start, end, { skip_non_present: true })) {
    for (;;) {
      // retry:
      if (await kvm.call.tdp_mmu_iter_cond_resched(kvm, iter, false, shared)) break;
      if (!is_shadow_present_pte(iter.old_spte) || !is_large_pte(iter.old_spte)) break;
      if (only_cross_boundary && !kvm.call.iter_cross_boundary(iter, start, end)) break;
      if (sp === null) {
        sp = await kvm.call.tdp_mmu_alloc_sp_for_split(kvm, iter, root, shared);
        if (sp === null) {
          await rcu_read_unlock();
          kvm.run.result('-ENOMEM');
          return -ENOMEM;
        }
        break;
      }
      kvm.call.tdp_mmu_init_child_sp(sp, iter);
      if ((await kvm.call.tdp_mmu_split_huge_page(kvm, iter, sp, shared)) !== 0) continue;
      sp = null;
      break;
    }
  }
  await rcu_read_unlock();
  // It's possible to exit the loop having never used the last sp if, for example,
  // another thread won the race and installed its own sp.
  if (sp !== null) await kvm.call.tdp_mmu_free_sp(kvm, sp);
  return 0;
}

// kvm_tdp_mmu_mirrors_split_huge_pages() in arch/x86/kvm/mmu/tdp_mmu.c ("[PATCH] KVM:
// x86/mmu: Add a TDP MMU API to split hugepages for mirror roots", Sean
// Christopherson, Thu, 29 Jan 2026): split the mirror root, the only one a TD's
// private memory lives in, under write mmu_lock.
export async function kvm_tdp_mmu_mirrors_split_huge_pages(kvm: kvm, start: gfn_t, end: gfn_t, target_level: number): Promise<number> {
  return kvm.call.tdp_mmu_split_huge_pages_root(kvm, kvm_mirror_root(kvm), start, end, target_level, false, false);
}

// kvm_tdp_mmu_try_split_huge_pages() in arch/x86/kvm/mmu/tdp_mmu.c: eager page
// splitting of every valid root; when a root's split fails (-ENOMEM from
// tdp_mmu_alloc_sp_for_split()) the caller leaves the root loop, so it puts the root
// it holds first: "if (r) { kvm_tdp_mmu_put_root(kvm, root); break; }".
export async function kvm_tdp_mmu_try_split_huge_pages(kvm: kvm, start: gfn_t, end: gfn_t, target_level: number, shared: boolean): Promise<void> {
  kvm.call.kvm_lockdep_assert_mmu_lock_held(kvm, shared);
  for await (const root of for_each_tdp_mmu_root_yield_safe(kvm, KVM_VALID_ROOTS | KVM_ALL_ROOTS)) {
    const r = await kvm.call.tdp_mmu_split_huge_pages_root(kvm, root, start, end, target_level, shared, false);
    if (r !== 0) {
      await kvm.call.kvm_tdp_mmu_put_root(kvm, root);
      break;
    }
  }
}

// Changing one SPTE (arch/x86/kvm/mmu/tdp_mmu.c): the atomic path under read
// mmu_lock (cmpxchg, FROZEN_SPTE while the TDX module is updated), the write-locked
// path, and the bookkeeping after any change (handle_changed_spte()).
//
// Model choice: on the mirror root both paths keep the SPTE FROZEN_SPTE across the
// SEAMCALLs that update the S-EPT (upstream's write-locked zap writes
// SHADOW_NONPRESENT_VALUE first). No other thread can tell the difference under the
// write lock, and "mirror and S-EPT agree whenever nothing is frozen" becomes exact.

/** Compares two SPTE values as the u64s they stand for. */
export function spte_equal(a: u64, b: u64): boolean {
  if (a === b) return true;
  if (a.tag !== b.tag) return false;
  if (a.tag === 'leaf' && b.tag === 'leaf') return a.pfn === b.pfn && a.large === b.large;
  if (a.tag === 'nonleaf' && b.tag === 'nonleaf') return a.child === b.child;
  return true;
}

/** A write of the SPTE at `sptep` (its key and GFN range, see kvm_mmu_page). */
export function spte_footprint(sptep: tdp_ptep_t, gfn: gfn_t, level: number): Footprint[] {
  return [range_write(`spte:${sptep.sp.role.is_mirror ? 'm' : 'd'}${level}`, gfn, gfn + KVM_PAGES_PER_HPAGE(level))];
}

export function spte_name(sptep: tdp_ptep_t, gfn: gfn_t, level: number): string {
  return `${sptep.sp.role.is_mirror ? 'mirror' : 'direct'}[${fmt_gfn(gfn)} ${level_name(level)}]`;
}

// __kvm_tdp_mmu_write_spte() in arch/x86/kvm/mmu/tdp_iter.h, plus the model's
// tp_spte_write tracepoint (every raw write, FROZEN_SPTE included).
export function kvm_tdp_mmu_write_spte(kvm: kvm, sptep: tdp_ptep_t, gfn: gfn_t, level: number, new_spte: u64): u64 {
  const old_spte = sptep.sp.read(sptep.index);
  sptep.sp.write(sptep.index, new_spte);
  kvm.model.bump();
  kvm.model.tp_spte_write.trace({ sptep, gfn, level, old_spte, new_spte });
  return old_spte;
}

// try_cmpxchg64(rcu_dereference(iter->sptep), &iter->old_spte, new_spte): one
// scheduling point; on failure iter->old_spte gets the current value.
export async function tdp_mmu_cmpxchg_spte(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<boolean> {
  await kvm.run.point({ kind: 'cmpxchg', obj: spte_name(iter.sptep, iter.gfn, iter.level), footprint: spte_footprint(iter.sptep, iter.gfn, iter.level) });
  const cur = iter.sptep.sp.read(iter.sptep.index);
  if (!spte_equal(cur, iter.old_spte)) {
    iter.old_spte = cur;
    kvm.run.result('-EBUSY');
    return false;
  }
  kvm.call.kvm_tdp_mmu_write_spte(kvm, iter.sptep, iter.gfn, iter.level, new_spte);
  return true;
}

// kvm_update_page_stats() in arch/x86/kvm/mmu/mmu.c
export function kvm_update_page_stats(kvm: kvm, level: number, count: number): void {
  kvm.stat.pages[level] = (kvm.stat.pages[level] ?? 0) + count;
}

// handle_changed_spte() in arch/x86/kvm/mmu/tdp_mmu.c
export async function handle_changed_spte(kvm: kvm, sptep: tdp_ptep_t, gfn: gfn_t, old_spte: u64, new_spte: u64, level: number, shared: boolean): Promise<void> {
  const sp = sptep.sp;
  kvm.model.tp_spte_changed.trace({ sptep, gfn, level, old_spte, new_spte });
  const was_present = is_shadow_present_pte(old_spte);
  const is_present = is_shadow_present_pte(new_spte);
  const was_leaf = was_present && is_last_spte(old_spte, level);
  const is_leaf = is_present && is_last_spte(new_spte, level);
  const pfn_changed = spte_to_pfn(old_spte) !== spte_to_pfn(new_spte);
  if (was_leaf && (!is_leaf || pfn_changed)) {
    // The old translation is gone: whoever did this owes the TLBs a flush.
    const is_private = sp.role.is_mirror;
    kvm.model.retire(is_private, gfn, level, tlb_entries_in(kvm, is_private, gfn, gfn + KVM_PAGES_PER_HPAGE(level)));
    if (!is_present) kvm.stat.zaps++;
  }
  if (was_leaf !== is_leaf) kvm.call.kvm_update_page_stats(kvm, level, is_leaf ? 1 : -1);
  if (was_present && !was_leaf && (is_leaf || !is_present)) await kvm.call.handle_removed_pt(kvm, spte_to_child_sp(old_spte)!, shared);
}

// handle_removed_pt() in arch/x86/kvm/mmu/tdp_mmu.c: a table was unlinked; freeze
// every entry (the model marks the table, see kvm_mmu_page.mark_removed()), process the
// present ones, reclaim a mirror table's S-EPT page (kvm_x86_ops.reclaim_external_spt),
// and free the table after a grace period.
export async function handle_removed_pt(kvm: kvm, pt: kvm_mmu_page, shared: boolean): Promise<void> {
  pt.mark_removed();
  const level = pt.role.level;
  for (const [i, old] of [...pt.entries()]) {
    if (is_frozen_spte(old)) continue;
    const gfn = pt.gfn + i * pt.entry_pages;
    const sptep = { sp: pt, index: i };
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, FROZEN_SPTE);
    await kvm.call.handle_changed_spte(kvm, sptep, gfn, old, FROZEN_SPTE, level, shared);
  }
  if (is_mirror_sp(pt)) await kvm.call.tdx_sept_reclaim_private_spt(kvm, pt.gfn, pt);
  call_rcu(pt, () => kvm.call.tdp_mmu_free_sp_rcu_callback(kvm, pt));
}

// set_external_spte_present() in arch/x86/kvm/mmu/tdp_mmu.c: freeze the mirror SPTE,
// have the TDX module map the page or link the table (or, with v3, split the huge
// leaf), then write the final value (or restore the old one).
export async function set_external_spte_present(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  const old_spte = iter.old_spte;
  // Lock out other updates to the SPTE until the external page table is modified.
  if (!(await kvm.call.tdp_mmu_cmpxchg_spte(kvm, iter, FROZEN_SPTE))) return -EBUSY;
  const ret = await kvm.call.external_spte_change(kvm, iter.gfn, old_spte, new_spte, iter.level, true);
  kvm.call.kvm_tdp_mmu_write_spte(kvm, iter.sptep, iter.gfn, iter.level, ret === 0 ? new_spte : old_spte);
  return ret;
}

/** The kvm_x86_ops hook a mirror change calls: set_external_spte,
 * link_external_spt, split_external_spt (v3) or remove_external_spte; `shared`: under
 * read mmu_lock (the atomic path). */
export async function external_spte_change(kvm: kvm, gfn: gfn_t, old_spte: u64, new_spte: u64, level: number, shared: boolean): Promise<number> {
  const was_present = is_shadow_present_pte(old_spte);
  const child = spte_to_child_sp(new_spte);
  if (!was_present) {
    if (child !== null) return kvm.call.tdx_sept_link_private_spt(kvm, gfn, level, child);
    if (is_shadow_present_pte(new_spte)) return kvm.call.tdx_sept_set_private_spte(kvm, gfn, level, spte_to_pfn(new_spte));
    return 0;
  }
  if (!is_last_spte(old_spte, level)) {
    KVM_BUG_ON(true, kvm, `mirror non-leaf SPTE changed at ${fmt_gfn(gfn)}: external page tables are not freed while the TD runs`);
    return -EIO;
  }
  if (child !== null) return kvm.call.split_external_spte(kvm, gfn, old_spte, level, child, shared);
  if (!is_shadow_present_pte(new_spte)) return kvm.call.remove_external_spte(kvm, gfn, old_spte, level);
  KVM_BUG_ON(true, kvm, `mirror leaf at ${fmt_gfn(gfn)} changed in place`);
  return -EIO;
}

// remove_external_spte() in arch/x86/kvm/mmu/tdp_mmu.c
export async function remove_external_spte(kvm: kvm, gfn: gfn_t, old_spte: leaf_spte, level: number): Promise<number> {
  lockdep_assert_held_write(kvm.mmu_lock);
  return kvm.call.tdx_sept_remove_private_spte(kvm, gfn, level, old_spte.pfn);
}

// split_external_spte() (v3 08/24 "KVM: x86/tdp_mmu: Introduce split_external_spte()
// under write mmu_lock", 10/24 passes mmu_lock_shared): the mirror leaf becomes a
// table; the S-EPT leaf is demoted in the TDX module.
export async function split_external_spte(kvm: kvm, gfn: gfn_t, old_spte: leaf_spte, level: number, sp: kvm_mmu_page, shared: boolean): Promise<number> {
  return kvm.call.tdx_sept_split_private_spte(kvm, gfn, level, old_spte.pfn, sp, shared);
}

// __tdp_mmu_set_spte_atomic() in arch/x86/kvm/mmu/tdp_mmu.c
export async function __tdp_mmu_set_spte_atomic(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  WARN_ON(iter.yielded || is_frozen_spte(iter.old_spte), '__tdp_mmu_set_spte_atomic(): stale or frozen iterator');
  if (is_mirror_sptep(iter.sptep) && !is_frozen_spte(new_spte)) {
    // Users of atomic zapping don't operate on mirror roots.
    if (KVM_BUG_ON(!is_shadow_present_pte(new_spte), kvm, 'atomic zap of a mirror SPTE')) return -EBUSY;
    return kvm.call.set_external_spte_present(kvm, iter, new_spte);
  }
  return (await kvm.call.tdp_mmu_cmpxchg_spte(kvm, iter, new_spte)) ? 0 : -EBUSY;
}

// tdp_mmu_set_spte_atomic() in arch/x86/kvm/mmu/tdp_mmu.c: under read mmu_lock; fails
// with -EBUSY (iter->old_spte refreshed) when another thread changed the SPTE.
export async function tdp_mmu_set_spte_atomic(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  lockdep_assert_held_read(kvm.mmu_lock);
  const old_spte = iter.old_spte;
  const ret = await kvm.call.__tdp_mmu_set_spte_atomic(kvm, iter, new_spte);
  if (ret !== 0) return ret;
  await kvm.call.handle_changed_spte(kvm, iter.sptep, iter.gfn, old_spte, new_spte, iter.level, true);
  return 0;
}

// tdp_mmu_set_spte() in arch/x86/kvm/mmu/tdp_mmu.c: under write mmu_lock. On the mirror
// root the TDX module is updated first (a failure there bugs the VM and leaves the
// SPTE as it was). Returns 0 or -errno.
export async function tdp_mmu_set_spte(kvm: kvm, sptep: tdp_ptep_t, old_spte: u64, new_spte: u64, gfn: gfn_t, level: number): Promise<number> {
  lockdep_assert_held_write(kvm.mmu_lock);
  WARN_ON(is_frozen_spte(old_spte) || is_frozen_spte(new_spte), 'tdp_mmu_set_spte(): FROZEN_SPTE under write mmu_lock');
  if (is_mirror_sptep(sptep)) {
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, FROZEN_SPTE);
    const ret = await kvm.call.external_spte_change(kvm, gfn, old_spte, new_spte, level, false);
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, ret === 0 ? new_spte : old_spte);
    if (ret !== 0) return ret;
  } else {
    kvm.call.kvm_tdp_mmu_write_spte(kvm, sptep, gfn, level, new_spte);
  }
  await kvm.call.handle_changed_spte(kvm, sptep, gfn, old_spte, new_spte, level, false);
  return 0;
}

// tdp_mmu_iter_set_spte() in arch/x86/kvm/mmu/tdp_mmu.c
export async function tdp_mmu_iter_set_spte(kvm: kvm, iter: tdp_iter, new_spte: u64): Promise<number> {
  WARN_ON(iter.yielded, 'tdp_mmu_iter_set_spte(): iterator yielded');
  const ret = await kvm.call.tdp_mmu_set_spte(kvm, iter.sptep, iter.old_spte, new_spte, iter.gfn, iter.level);
  if (ret === 0) iter.old_spte = new_spte;
  return ret;
}

// tdp_account_mmu_page() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_account_mmu_page(kvm: kvm, sp: kvm_mmu_page): void {
  if (sp.role.level > 0) kvm.stat.pages_tables++;
}

// tdp_mmu_link_sp() in arch/x86/kvm/mmu/tdp_mmu.c: point the entry at `iter` to the
// new table `sp` (atomically under read mmu_lock, else under write mmu_lock).
export async function tdp_mmu_link_sp(kvm: kvm, iter: tdp_iter, sp: kvm_mmu_page, shared: boolean): Promise<number> {
  const spte = make_nonleaf_spte(sp);
  const ret = shared ? await kvm.call.tdp_mmu_set_spte_atomic(kvm, iter, spte) : await kvm.call.tdp_mmu_iter_set_spte(kvm, iter, spte);
  if (ret !== 0) return ret;
  kvm.call.tdp_account_mmu_page(kvm, sp);
  return 0;
}

// Zapping leaf SPTEs (arch/x86/kvm/mmu/tdp_mmu.c). A leaf that only partly overlaps
// the range is zapped whole: on the mirror root that removes private memory outside
// the range unless the caller split the boundary leaves first.

// tdp_mmu_max_gfn_exclusive() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_max_gfn_exclusive(kvm: kvm): gfn_t {
  return KVM_PAGES_PER_HPAGE(kvm.arch.root_level + 1);
}

// tdp_mmu_zap_leafs() in arch/x86/kvm/mmu/tdp_mmu.c: returns whether a flush is owed.
export async function tdp_mmu_zap_leafs(kvm: kvm, root: kvm_mmu_page, start: gfn_t, end: gfn_t, can_yield: boolean, flush: boolean): Promise<boolean> {
  end = Math.min(end, tdp_mmu_max_gfn_exclusive(kvm));
  lockdep_assert_held_write(kvm.mmu_lock);
  await rcu_read_lock();
  for (const iter of for_each_tdp_pte_min_level(kvm.stat, root, PG_LEVEL_4K, start, end, { skip_non_present: true })) {
    if (can_yield && (await kvm.call.tdp_mmu_iter_cond_resched(kvm, iter, flush, false))) {
      flush = false;
      continue;
    }
    if (!is_shadow_present_pte(iter.old_spte) || !is_last_spte(iter.old_spte, iter.level)) continue;
    if (kvm.run.tracing) kvm.run.event(`zap ${spte_name(iter.sptep, iter.gfn, iter.level)} covering ${fmt_range(iter.gfn, iter.gfn + KVM_PAGES_PER_HPAGE(iter.level))}, for the range ${fmt_range(start, end)}`);
    await kvm.call.tdp_mmu_iter_set_spte(kvm, iter, SHADOW_NONPRESENT_VALUE);
    // Zapping SPTEs in invalid roots doesn't require a TLB flush.
    kvm.run.touch(ROOTS.read);
    if (!root.role.invalid) flush = true;
  }
  await rcu_read_unlock();
  return flush;
}

// kvm_gfn_range_filter_to_root_types() in arch/x86/kvm/mmu/tdp_mmu.h
export function kvm_gfn_range_filter_to_root_types(attr_filter: number): number {
  let types = KVM_VALID_ROOTS;
  if ((attr_filter & KVM_FILTER_PRIVATE) !== 0) types |= KVM_MIRROR_ROOTS;
  if ((attr_filter & KVM_FILTER_SHARED) !== 0) types |= KVM_DIRECT_ROOTS;
  return types;
}

// kvm_tdp_mmu_unmap_gfn_range() in arch/x86/kvm/mmu/tdp_mmu.c
export async function kvm_tdp_mmu_unmap_gfn_range(kvm: kvm, range: kvm_gfn_range, flush: boolean): Promise<boolean> {
  const types = kvm_gfn_range_filter_to_root_types(range.attr_filter);
  for await (const root of for_each_tdp_mmu_root_yield_safe(kvm, types)) {
    flush = await kvm.call.tdp_mmu_zap_leafs(kvm, root, range.start, range.end, range.may_block, flush);
  }
  return flush;
}

// kvm_tdp_mmu_zap_sp() in arch/x86/kvm/mmu/tdp_mmu.c: zap the SPTE that links `sp` into
// its parent (NX huge page recovery), under write mmu_lock. False for a root or a table
// no longer linked.
export async function kvm_tdp_mmu_zap_sp(kvm: kvm, sp: kvm_mmu_page): Promise<boolean> {
  lockdep_assert_held_write(kvm.mmu_lock);
  const sptep = sp.ptep;
  if (sptep === null) return false;
  const old_spte = sptep.sp.read(sptep.index);
  if (!is_shadow_present_pte(old_spte) || is_last_spte(old_spte, sp.role.level + 1)) return false;
  await kvm.call.tdp_mmu_set_spte(kvm, sptep, old_spte, SHADOW_NONPRESENT_VALUE, sp.gfn, sp.role.level + 1);
  return true;
}
