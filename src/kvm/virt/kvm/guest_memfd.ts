// virt/kvm/guest_memfd.c
// guest_memfd (virt/kvm/guest_memfd.c): a file of folios backing private memory,
// its invalidate lock, the PFN lookup of the fault path, and the invalidation that
// zaps what a range maps (with the boundary split before it, when asked).
import { ALIGN_DOWN, type gfn_t, IS_ALIGNED, type kvm_pfn_t } from '../../arch/x86/include/asm/kvm_host.ts';
import { EEXIST, EINVAL, ENOMEM, EOPNOTSUPP } from '../../include/uapi/asm-generic/errno.ts';
import { type kvm, KVM_FILTER_PRIVATE, KVM_FILTER_SHARED, type kvm_gfn_range, KVM_MEMORY_ATTRIBUTE_PRIVATE, kvm_mem_attrs_store, type kvm_memory_slot, kvm_mirror_root } from '../../include/linux/kvm_host.ts';
import { model_key, touch_range } from '../../model/footprint.ts';
import { down_read, down_write, GFP_KERNEL, init_rwsem, kmalloc, mutex_lock, mutex_unlock, rw_semaphore, up_read, up_write, write_lock, write_unlock } from '../../model/kernel.ts';

export type gmem_backing = 'hugetlb' | 'thp' | 'none';

// struct folio, reduced.
export interface folio {
  /** First file index. */
  readonly index: number;
  readonly order: number;
  readonly pfn: kvm_pfn_t;
}

// struct address_space, the part guest_memfd uses.
export interface address_space {
  readonly invalidate_lock: rw_semaphore;
}

const FOLIOS = 'gmem:folios';
const BINDINGS = new model_key('gmem:bindings');

// struct gmem_file / the guest_memfd inode. Folios are recorded by file index, a
// huge block at a time (a lookup looks at the block's huge folio and its small ones).
export class kvm_gmem {
  /** Folios by first index. Sparse. Through the methods below, which record. */
  private readonly folios = new Map<number, folio>();
  /** Order-0 folios per huge block, so a block that was split never gets a huge folio. */
  private readonly small = new Map<number, number>();
  readonly mapping: address_space;
  /** gmem->bindings: the memslots bound to ranges of this file, by file offset.
   * Through bindings_in(), which records reads (`gmem:bindings`). */
  private bindings_: readonly kvm_memory_slot[] = [];

  constructor(
    readonly kvm: kvm,
    /** File size in pages. */
    readonly size: number,
    readonly backing: gmem_backing,
    /** Order of a huge folio (9: 2M hugetlb or THP). */
    readonly huge_order: number,
  ) {
    this.mapping = { invalidate_lock: new rw_semaphore(kvm.k, '&mapping->invalidate_lock') };
    init_rwsem(this.mapping.invalidate_lock);
  }

  get huge_pages(): number {
    return 2 ** this.huge_order;
  }

  /** The memslots bound to file indices overlapping [start, end), by file offset. */
  bindings_in(start: number, end: number): kvm_memory_slot[] {
    this.kvm.run.touch(BINDINGS.read);
    return this.bindings_.filter((s) => s.gmem.pgoff < end && start < s.gmem.pgoff + s.npages);
  }

  /** Replaces the bindings (kvm_gmem_bind(), kvm_gmem_unbind()). */
  set_bindings(b: readonly kvm_memory_slot[]): void {
    this.kvm.run.touch(BINDINGS.write);
    this.bindings_ = [...b].sort((x, y) => x.gmem.pgoff - y.gmem.pgoff);
  }

  /** Records an access of the huge block holding `index`. */
  private touch(index: number, access: 'read' | 'write'): void {
    const base = ALIGN_DOWN(index, this.huge_pages);
    touch_range(this.kvm.run, FOLIOS, access, base, base + this.huge_pages);
  }

  /** filemap_get_folio(): the folio holding `index`, if any. */
  filemap_get_folio(index: number): folio | null {
    this.touch(index, 'read');
    if (this.backing !== 'none') {
      const f = this.folios.get(ALIGN_DOWN(index, this.huge_pages));
      if (f !== undefined && f.order === this.huge_order) return f;
    }
    return this.folios.get(index) ?? null;
  }

  /** The order a new folio at `index` gets. */
  order_for(index: number): number {
    this.touch(index, 'read');
    if (this.backing === 'none') return 0;
    const base = ALIGN_DOWN(index, this.huge_pages);
    if (base + this.huge_pages > this.size || (this.small.get(base) ?? 0) > 0) return 0;
    return this.huge_order;
  }

  add_folio(f: folio): void {
    this.touch(f.index, 'write');
    this.folios.set(f.index, f);
    if (f.order === 0 && this.backing !== 'none') {
      const base = ALIGN_DOWN(f.index, this.huge_pages);
      this.small.set(base, (this.small.get(base) ?? 0) + 1);
    }
    this.kvm.model.bump();
  }

  remove_folio(f: folio): void {
    this.touch(f.index, 'write');
    this.folios.delete(f.index);
    if (f.order === 0 && this.backing !== 'none') {
      const base = ALIGN_DOWN(f.index, this.huge_pages);
      const n = (this.small.get(base) ?? 1) - 1;
      if (n === 0) this.small.delete(base);
      else this.small.set(base, n);
    }
    this.kvm.model.bump();
  }

  /** The folios that start in [start, end), in index order (a read of that range). */
  folios_in(start: number, end: number): folio[] {
    touch_range(this.kvm.run, FOLIOS, 'read', start, end);
    return [...this.folios.values()].filter((f) => f.index >= start && f.index < end).sort((a, b) => a.index - b.index);
  }
}

// filemap_invalidate_lock() in include/linux/fs.h
export async function filemap_invalidate_lock(mapping: address_space): Promise<void> {
  await down_write(mapping.invalidate_lock);
}
// filemap_invalidate_unlock() in include/linux/fs.h
export async function filemap_invalidate_unlock(mapping: address_space): Promise<void> {
  await up_write(mapping.invalidate_lock);
}
// filemap_invalidate_lock_shared() in include/linux/fs.h
export async function filemap_invalidate_lock_shared(mapping: address_space): Promise<void> {
  await down_read(mapping.invalidate_lock);
}
// filemap_invalidate_unlock_shared() in include/linux/fs.h
export async function filemap_invalidate_unlock_shared(mapping: address_space): Promise<void> {
  await up_read(mapping.invalidate_lock);
}

/** The GFN of file index `index` in `slot`. */
export function kvm_gmem_index_to_gfn(slot: kvm_memory_slot, index: number): gfn_t {
  return slot.base_gfn + index - slot.gmem.pgoff;
}

/** The file index of `gfn` in `slot`. */
export function kvm_gmem_get_index(slot: kvm_memory_slot, gfn: gfn_t): number {
  return gfn - slot.base_gfn + slot.gmem.pgoff;
}

// kvm_gmem_get_folio() in virt/kvm/guest_memfd.c: allocates on first use (may sleep).
export async function kvm_gmem_get_folio(gmem: kvm_gmem, index: number): Promise<folio | null> {
  const have = gmem.filemap_get_folio(index);
  if (have !== null) return have;
  const order = gmem.order_for(index);
  const mem = kmalloc(gmem.kvm.k, 4096 * 2 ** order, GFP_KERNEL);
  if (mem === null || mem === undefined) return null;
  // Another thread may have added it while this one slept.
  const raced = gmem.filemap_get_folio(index);
  if (raced !== null) return raced;
  const f: folio = { index: ALIGN_DOWN(index, 2 ** order), order, pfn: gmem.kvm.host.alloc_pages(order) };
  gmem.add_folio(f);
  return f;
}

// kvm_gmem_get_pfn() in virt/kvm/guest_memfd.c
export async function kvm_gmem_get_pfn(kvm: kvm, slot: kvm_memory_slot, gfn: gfn_t): Promise<{ pfn: kvm_pfn_t; max_order: number } | number> {
  const gmem = slot.gmem.file;
  const index = kvm_gmem_get_index(slot, gfn);
  if (index < 0 || index >= gmem.size) return -EINVAL;
  await filemap_invalidate_lock_shared(gmem.mapping);
  const f = await kvm.call.kvm_gmem_get_folio(gmem, index);
  await filemap_invalidate_unlock_shared(gmem.mapping);
  if (f === null) return -ENOMEM;
  return { pfn: f.pfn + (index - f.index), max_order: f.order };
}

export interface gmem_invalidate_opts {
  /** KVM_FILTER_PRIVATE and/or KVM_FILTER_SHARED. */
  readonly attr_filter: number;
  /** Split leaves crossing the range boundary before zapping. */
  readonly split: boolean;
  /** Runs under write mmu_lock right after the invalidation begins (the
   * kvm_mmu_notifier_range .on_lock slot), e.g. to store new attributes. */
  readonly on_lock?: () => void;
}

// kvm_gmem_bind() in virt/kvm/guest_memfd.c: `slot` maps file indices [pgoff, pgoff +
// npages); -EINVAL outside the file or over another binding.
export function kvm_gmem_bind(kvm: kvm, slot: kvm_memory_slot, gmem: kvm_gmem, pgoff: number): number {
  void kvm;
  if (pgoff < 0 || pgoff + slot.npages > gmem.size) return -EINVAL;
  if (gmem.bindings_in(pgoff, pgoff + slot.npages).length > 0) return -EEXIST;
  gmem.set_bindings([...gmem.bindings_in(0, gmem.size), slot]);
  return 0;
}

// kvm_gmem_unbind() in virt/kvm/guest_memfd.c: under the file's invalidate lock.
export async function kvm_gmem_unbind(slot: kvm_memory_slot): Promise<void> {
  const gmem = slot.gmem.file;
  await filemap_invalidate_lock(gmem.mapping);
  gmem.set_bindings(gmem.bindings_in(0, gmem.size).filter((s) => s.id !== slot.id));
  await filemap_invalidate_unlock(gmem.mapping);
}

/** The GFN ranges of file indices [start, end), one per memslot bound to them
 * (__kvm_gmem_invalidate_begin()'s xa_for_each_range() over gmem->bindings). */
export function kvm_gmem_gfn_ranges(gmem: kvm_gmem, start: number, end: number, attr_filter: number): kvm_gfn_range[] {
  return gmem.bindings_in(start, end).map((slot) => {
    const pgoff = slot.gmem.pgoff;
    return {
      slot,
      start: slot.base_gfn + Math.max(pgoff, start) - pgoff,
      end: slot.base_gfn + Math.min(pgoff + slot.npages, end) - pgoff,
      attr_filter,
      may_block: true,
    };
  });
}

/** The GFN range of file indices [start, end): its one binding's (the hull of several;
 * empty, at the file offset, when none is bound there). For an operation's bounds. */
export function kvm_gmem_gfn_range(gmem: kvm_gmem, start: number, end: number, attr_filter: number): kvm_gfn_range {
  const ranges = kvm_gmem_gfn_ranges(gmem, start, end, attr_filter);
  if (ranges.length === 0) return { slot: gmem.kvm.memslot, start, end: start, attr_filter, may_block: true };
  if (ranges.length === 1) return ranges[0]!;
  return { ...ranges[0]!, start: Math.min(...ranges.map((r) => r.start)), end: Math.max(...ranges.map((r) => r.end)) };
}

// kvm_gmem_invalidate_begin() in virt/kvm/guest_memfd.c: begin the invalidation and
// zap what [start, end) maps; with `split`, first split the leaves crossing its
// boundary (kvm_split_boundary_leafs(), with DPAMT pages from the per-VM split
// cache). The invalidation is in progress on return even when the split failed (then
// nothing was zapped).
export async function kvm_gmem_invalidate_begin(gmem: kvm_gmem, start: number, end: number, opts: gmem_invalidate_opts): Promise<number> {
  const kvm = gmem.kvm;
  const ranges = kvm_gmem_gfn_ranges(gmem, start, end, opts.attr_filter);
  const split = opts.split;
  let pages = 0;
  if (split) for (const range of ranges) pages += kvm.call.tdx_split_cache_topup(kvm, range.start, range.end);
  let r = split ? await kvm.call.tdx_split_cache_prepare(kvm, pages) : 0;
  await write_lock(kvm.mmu_lock);
  kvm.call.kvm_mmu_invalidate_begin(kvm);
  for (const range of ranges) kvm.call.kvm_mmu_invalidate_range_add(kvm, range.start, range.end);
  // A file range bound to no memslot still begins an invalidation (of nothing).
  if (ranges.length === 0) kvm.call.kvm_mmu_invalidate_range_add(kvm, 0, 0);
  opts.on_lock?.();
  for (const range of ranges) if (r === 0 && split) r = await kvm.call.kvm_split_boundary_leafs(kvm, kvm_mirror_root(kvm), range.start, range.end);
  for (const range of ranges) if (r === 0) await kvm.call.__kvm_gmem_invalidate_begin(kvm, range);
  await write_unlock(kvm.mmu_lock);
  if (split) await kvm.call.tdx_split_cache_release(kvm);
  return r;
}

// __kvm_gmem_invalidate_begin() in virt/kvm/guest_memfd.c: under write mmu_lock, zap
// the range and flush remote TLBs if anything was zapped.
export async function __kvm_gmem_invalidate_begin(kvm: kvm, range: kvm_gfn_range): Promise<void> {
  const flush = await kvm.call.kvm_mmu_unmap_gfn_range(kvm, range);
  if (flush) await kvm.call.kvm_flush_remote_tlbs(kvm);
}

// kvm_gmem_invalidate_end() in virt/kvm/guest_memfd.c
export async function kvm_gmem_invalidate_end(gmem: kvm_gmem, on_lock?: () => void): Promise<void> {
  const kvm = gmem.kvm;
  await write_lock(kvm.mmu_lock);
  on_lock?.();
  kvm.call.kvm_mmu_invalidate_end(kvm);
  await write_unlock(kvm.mmu_lock);
}

// KVM_SET_MEMORY_ATTRIBUTES2 on a guest_memfd (in-place conversion): kvm_gmem_set_attributes().
// Private to shared: split the mirror leaves crossing the range boundary, then zap
// the range, so GFNs outside it keep their private memory. Shared to private: zap
// the shared mappings. Not necessarily from a vCPU.

/** Stores `attributes` over `ranges` (returned: tsx's keepNames, see src/engine/run.ts). */
function attrs_store_of(kvm: kvm, ranges: readonly kvm_gfn_range[], attributes: number): () => void {
  return () => {
    for (const g of ranges) kvm_mem_attrs_store(kvm, g.start, g.end, attributes);
  };
}

// kvm_gmem_set_attributes() in virt/kvm/guest_memfd.c: file indices [start, end) get `attributes`.
export async function kvm_gmem_set_attributes(gmem: kvm_gmem, start: number, end: number, attributes: number): Promise<number> {
  const kvm = gmem.kvm;
  const to_shared = (attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE) === 0;
  const range = kvm_gmem_gfn_range(gmem, start, end, 0);
  return kvm.model.op('kvm_gmem_set_attributes', range.start, range.end, true, async () => {
    await mutex_lock(kvm.slots_lock);
    await filemap_invalidate_lock(gmem.mapping);
    const ranges = kvm_gmem_gfn_ranges(gmem, start, end, 0);
    const old = ranges.flatMap((g) => [...kvm.mem_attr_array.pieces(g.start, g.end)]);
    const r = await kvm.call.kvm_gmem_invalidate_begin(gmem, start, end, {
      attr_filter: to_shared ? KVM_FILTER_PRIVATE : KVM_FILTER_SHARED,
      split: to_shared,
      // The new attributes are visible to faults as soon as the invalidation begins:
      // a fault outside the range sees the huge page as mixed and maps 4K.
      on_lock: attrs_store_of(kvm, ranges, attributes),
    });
    await kvm.call.kvm_gmem_invalidate_end(gmem, r === 0 ? undefined : () => {
      for (const p of old) kvm_mem_attrs_store(kvm, p.lo, p.hi, p.value ?? 0);
    });
    await filemap_invalidate_unlock(gmem.mapping);
    await mutex_unlock(kvm.slots_lock);
    return r;
  });
}

// fallocate(PUNCH_HOLE) on a guest_memfd: kvm_gmem_fallocate() and
// kvm_gmem_punch_hole() in virt/kvm/guest_memfd.c. On hugetlb/THP backing only
// huge-page-aligned ranges are allowed (agreed upstream, Vishal Annapurve on v3), so
// no leaf can cross the hole and nothing needs splitting.

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

// Memory failure in a guest_memfd folio: kvm_gmem_error_folio() in
// virt/kvm/guest_memfd.c, huge-page version (v3 use case 4): the poisoned page is cut
// out of its huge folio, so the S-EPT must be split at its boundary first and only
// that page zapped; the rest of the folio keeps its private memory.

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
