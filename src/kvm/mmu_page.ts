// struct kvm_mmu_page: one page table of the TDP MMU (arch/x86/kvm/mmu/mmu_internal.h).
// The 512 entries are sparse: only entries that are not SHADOW_NONPRESENT_VALUE are
// stored, with their indices kept sorted so a walk can jump over a run of
// non-present entries and still count every entry it passes.
import { KVM_PAGES_PER_HPAGE, type gfn_t, type kvm_pfn_t } from './levels.ts';
import { FROZEN_SPTE, SHADOW_NONPRESENT_VALUE, type u64 } from './spte.ts';

// union kvm_mmu_page_role in arch/x86/include/asm/kvm_host.h (the bits the model uses)
export interface kvm_mmu_page_role {
  readonly level: number;
  /** The mirror root and its children: KVM's copy of the TDX module's S-EPT. */
  readonly is_mirror: boolean;
  /** Set on a root by kvm_tdp_mmu_invalidate_roots(). */
  invalid: boolean;
}

/** Where an SPTE lives: tdp_ptep_t, a table and an index into it. */
export interface tdp_ptep_t {
  readonly sp: kvm_mmu_page;
  readonly index: number;
}

// struct kvm_mmu_page in arch/x86/kvm/mmu/mmu_internal.h
export class kvm_mmu_page {
  /** Stored (not SHADOW_NONPRESENT_VALUE) entries, by index. */
  private readonly spt = new Map<number, u64>();
  /** Indices of `spt`, ascending. */
  private readonly stored: number[] = [];
  /** handle_removed_pt() froze every entry: the kernel writes FROZEN_SPTE into all
   * 512; the model marks the table, so its non-present entries read as frozen. */
  removed = false;
  /** For roots: struct kvm_mmu_page::tdp_mmu_root_count (the refcount_t). */
  tdp_mmu_root_count: unknown = null;
  /** For mirror tables: sp->external_spt, the host page of the S-EPT table. */
  external_spt: kvm_pfn_t | null = null;
  /** The external_spt page holds a DPAMT reference (tdx_pamt_get() succeeded). */
  external_spt_pamt = false;
  nx_huge_page_disallowed = false;
  /** The parent entry, null for a root. */
  ptep: tdp_ptep_t | null = null;

  /** Set by tdp_mmu_init_sp(). */
  role: kvm_mmu_page_role = { level: 0, is_mirror: false, invalid: false };
  /** First GFN the table maps. */
  gfn: gfn_t = 0;

  constructor(
    /** Sequence number within the VM, for names in traces. */
    readonly id: number,
  ) {}

  /** GFNs one entry of this table maps. */
  get entry_pages(): number {
    return KVM_PAGES_PER_HPAGE(this.role.level);
  }

  get name(): string {
    return `sp${this.id}`;
  }

  /** kvm_tdp_mmu_read_spte() */
  read(index: number): u64 {
    return this.spt.get(index) ?? (this.removed ? FROZEN_SPTE : SHADOW_NONPRESENT_VALUE);
  }

  /** __kvm_tdp_mmu_write_spte() */
  write(index: number, spte: u64): void {
    const had = this.spt.has(index);
    if (spte === SHADOW_NONPRESENT_VALUE) {
      if (!had) return;
      this.spt.delete(index);
      this.stored.splice(this.lower_bound(index), 1);
      return;
    }
    this.spt.set(index, spte);
    if (!had) this.stored.splice(this.lower_bound(index), 0, index);
  }

  /** The first stored index at or after `index`, or SPTE_ENT_PER_PAGE-like `Infinity`. */
  next_stored(index: number): number {
    const i = this.lower_bound(index);
    return i < this.stored.length ? this.stored[i]! : Infinity;
  }

  /** Stored entries at or after `from`, in index order (model-internal, uncounted). */
  *entries(from = 0): IterableIterator<[number, u64]> {
    for (let k = this.lower_bound(from); k < this.stored.length; k++) {
      const i = this.stored[k]!;
      yield [i, this.spt.get(i)!];
    }
  }

  private lower_bound(index: number): number {
    let lo = 0;
    let hi = this.stored.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.stored[mid]! < index) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

// is_mirror_sp() in arch/x86/kvm/mmu/mmu_internal.h
export function is_mirror_sp(sp: kvm_mmu_page): boolean {
  return sp.role.is_mirror;
}

// is_mirror_sptep() in arch/x86/kvm/mmu/tdp_mmu.h
export function is_mirror_sptep(sptep: tdp_ptep_t): boolean {
  return sptep.sp.role.is_mirror;
}

/** GFN an entry maps. */
export function sptep_gfn(sptep: tdp_ptep_t): gfn_t {
  return sptep.sp.gfn + sptep.index * sptep.sp.entry_pages;
}
