// arch/x86/include/asm/kvm_host.h and arch/x86/include/asm/pgtable_types.h (page levels)
// Page-table geometry of the TDP MMU: levels, pages per huge page, SPTE indices.
// arch/x86/include/asm/kvm_host.h, arch/x86/kvm/mmu/mmu_internal.h, spte.h


/** A guest frame number (4 KiB granule). Plain numbers: 5-level paging tops out at
 * 2^45 GFNs, well inside 2^53. */
export type gfn_t = number;
/** A host frame number. */
export type kvm_pfn_t = number;

export const PG_LEVEL_4K = 1;
export const PG_LEVEL_2M = 2;
export const PG_LEVEL_1G = 3;
export const PT64_ROOT_4LEVEL = 4;
export const PT64_ROOT_5LEVEL = 5;
export const PT64_ROOT_MAX_LEVEL = PT64_ROOT_5LEVEL;

/** Largest leaf KVM maps for a TD today. */
export const KVM_MAX_HUGEPAGE_LEVEL = PG_LEVEL_2M;

export const SPTE_LEVEL_BITS = 9;
export const SPTE_ENT_PER_PAGE = 1 << SPTE_LEVEL_BITS;

/** KVM_PAGES_PER_HPAGE() of the levels 0 to 6, computed once (it is on every walk). */
const PAGES_PER_HPAGE: readonly number[] = [0, 1, 2, 3, 4, 5, 6].map((l) => 2 ** (SPTE_LEVEL_BITS * (l - 1)));

// KVM_PAGES_PER_HPAGE() in arch/x86/include/asm/kvm_host.h
export function KVM_PAGES_PER_HPAGE(level: number): number {
  return PAGES_PER_HPAGE[level] ?? 2 ** (SPTE_LEVEL_BITS * (level - 1));
}

// gfn_round_for_level() in arch/x86/kvm/mmu/mmu_internal.h
export function gfn_round_for_level(gfn: gfn_t, level: number): gfn_t {
  const n = KVM_PAGES_PER_HPAGE(level);
  return gfn - (gfn % n);
}

// SPTE_INDEX() in arch/x86/kvm/mmu/spte.h, on a GFN rather than an address.
export function SPTE_INDEX(gfn: gfn_t, level: number): number {
  return Math.floor(gfn / KVM_PAGES_PER_HPAGE(level)) % SPTE_ENT_PER_PAGE;
}

// ALIGN_DOWN() and IS_ALIGNED() in include/linux/align.h, for GFN counts.
export function ALIGN_DOWN(x: number, a: number): number {
  return Math.floor(x / a) * a;
}
export function IS_ALIGNED(x: number, a: number): boolean {
  return x % a === 0;
}

/** Level of a folio of `order` pages (0 → 4K, 9 → 2M, 18 → 1G); kvm_max_level_for_order(). */
export function kvm_max_level_for_order(order: number): number {
  if (order >= KVM_HPAGE_GFN_SHIFT(PG_LEVEL_1G)) return PG_LEVEL_1G;
  if (order >= KVM_HPAGE_GFN_SHIFT(PG_LEVEL_2M)) return PG_LEVEL_2M;
  return PG_LEVEL_4K;
}

// KVM_HPAGE_GFN_SHIFT() in arch/x86/include/asm/kvm_host.h
export function KVM_HPAGE_GFN_SHIFT(level: number): number {
  return (level - 1) * SPTE_LEVEL_BITS;
}

export function level_name(level: number): string {
  return level === PG_LEVEL_4K ? '4K' : level === PG_LEVEL_2M ? '2M' : level === PG_LEVEL_1G ? '1G' : level === 4 ? '512G' : level === 5 ? '256T' : `L${level}`;
}

/** `0x1234` as the kernel prints a GFN. */
export function fmt_gfn(gfn: gfn_t): string {
  return `0x${gfn.toString(16)}`;
}

export function fmt_range(start: gfn_t, end: gfn_t): string {
  return `[${fmt_gfn(start)}, ${fmt_gfn(end)})`;
}
