// guest_memfd (virt/kvm/guest_memfd.c): a file of folios backing private memory,
// its invalidate lock, the PFN lookup of the fault path, and the invalidation that
// zaps what a range maps (with the boundary split before it, when asked).
import { EINVAL, ENOMEM } from './errno.ts';
import type { kvm_gfn_range } from './gfn_range.ts';
import { down_read, down_write, GFP_KERNEL, init_rwsem, kmalloc, rw_semaphore, up_read, up_write, write_lock, write_unlock } from './kernel.ts';
import { kvm_mirror_root, type kvm, type kvm_memory_slot } from './kvm.ts';
import { touch_range } from './footprint.ts';
import { ALIGN_DOWN, type gfn_t, type kvm_pfn_t } from './levels.ts';

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

// struct gmem_file / the guest_memfd inode. Folios are recorded by file index, a
// huge block at a time (a lookup looks at the block's huge folio and its small ones).
export class kvm_gmem {
  /** Folios by first index. Sparse. Through the methods below, which record. */
  private readonly folios = new Map<number, folio>();
  /** Order-0 folios per huge block, so a block that was split never gets a huge folio. */
  private readonly small = new Map<number, number>();
  readonly mapping: address_space;

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

/** The GFN range of file indices [start, end) in the VM's one binding. */
export function kvm_gmem_gfn_range(gmem: kvm_gmem, start: number, end: number, attr_filter: number): kvm_gfn_range {
  const slot = gmem.kvm.memslot;
  const pgoff = slot.gmem.pgoff;
  return {
    slot,
    start: slot.base_gfn + Math.max(pgoff, start) - pgoff,
    end: slot.base_gfn + Math.min(pgoff + slot.npages, end) - pgoff,
    attr_filter,
    may_block: true,
  };
}

// kvm_gmem_invalidate_begin() in virt/kvm/guest_memfd.c: begin the invalidation and
// zap what [start, end) maps; with `split`, first split the leaves crossing its
// boundary (kvm_split_boundary_leafs(), with DPAMT pages from the per-VM split
// cache). The invalidation is in progress on return even when the split failed (then
// nothing was zapped).
export async function kvm_gmem_invalidate_begin(gmem: kvm_gmem, start: number, end: number, opts: gmem_invalidate_opts): Promise<number> {
  const kvm = gmem.kvm;
  const range = kvm_gmem_gfn_range(gmem, start, end, opts.attr_filter);
  const split = opts.split;
  let r = split ? await kvm.call.tdx_split_cache_prepare(kvm, kvm.call.tdx_split_cache_topup(kvm, range.start, range.end)) : 0;
  await write_lock(kvm.mmu_lock);
  kvm.call.kvm_mmu_invalidate_begin(kvm);
  kvm.call.kvm_mmu_invalidate_range_add(kvm, range.start, range.end);
  opts.on_lock?.();
  if (r === 0 && split) r = await kvm.call.kvm_split_boundary_leafs(kvm, kvm_mirror_root(kvm), range.start, range.end);
  if (r === 0) await kvm.call.__kvm_gmem_invalidate_begin(kvm, range);
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
