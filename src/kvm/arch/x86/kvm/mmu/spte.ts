// arch/x86/kvm/mmu/spte.h and spte.c
// SPTE values and predicates: arch/x86/kvm/mmu/spte.h and spte.c.
// The kernel packs an SPTE into a u64; the model keeps the fields that matter as an
// immutable object, so cmpxchg compares by identity exactly like try_cmpxchg64().
import { KVM_PAGES_PER_HPAGE, type kvm_pfn_t, PG_LEVEL_4K } from '../../include/asm/kvm_host.ts';
import type { kvm_mmu_page } from './mmu_internal.ts';

export type u64 = nonpresent_spte | frozen_spte | leaf_spte | nonleaf_spte;

export interface nonpresent_spte {
  readonly tag: 'nonpresent';
}
/** FROZEN_SPTE: a non-present value that tells other threads "hands off, retry". */
export interface frozen_spte {
  readonly tag: 'frozen';
}
export interface leaf_spte {
  readonly tag: 'leaf';
  readonly pfn: kvm_pfn_t;
  /** PT_PAGE_SIZE_MASK: a 2M or 1G leaf. */
  readonly large: boolean;
}
export interface nonleaf_spte {
  readonly tag: 'nonleaf';
  readonly child: kvm_mmu_page;
}

// SHADOW_NONPRESENT_VALUE in arch/x86/kvm/mmu/spte.h
export const SHADOW_NONPRESENT_VALUE: nonpresent_spte = Object.freeze({ tag: 'nonpresent' });
// FROZEN_SPTE in arch/x86/kvm/mmu/spte.h
export const FROZEN_SPTE: frozen_spte = Object.freeze({ tag: 'frozen' });

// is_shadow_present_pte() in arch/x86/kvm/mmu/spte.h
export function is_shadow_present_pte(spte: u64): spte is leaf_spte | nonleaf_spte {
  return spte.tag === 'leaf' || spte.tag === 'nonleaf';
}

// is_frozen_spte() in arch/x86/kvm/mmu/spte.h
export function is_frozen_spte(spte: u64): spte is frozen_spte {
  return spte.tag === 'frozen';
}

// is_large_pte() in arch/x86/kvm/mmu/spte.h
export function is_large_pte(spte: u64): boolean {
  return spte.tag === 'leaf' && spte.large;
}

// is_last_spte() in arch/x86/kvm/mmu/spte.h
export function is_last_spte(spte: u64, level: number): spte is leaf_spte {
  return spte.tag === 'leaf' && (level === PG_LEVEL_4K || spte.large);
}

// spte_to_pfn() in arch/x86/kvm/mmu/spte.h
export function spte_to_pfn(spte: u64): kvm_pfn_t {
  return spte.tag === 'leaf' ? spte.pfn : -1;
}

// spte_to_child_sp() in arch/x86/kvm/mmu/mmu_internal.h
export function spte_to_child_sp(spte: u64): kvm_mmu_page | null {
  return spte.tag === 'nonleaf' ? spte.child : null;
}

// make_spte() in arch/x86/kvm/mmu/spte.c (the fields the model keeps). Made SPTEs
// are immutable by their types, not frozen: Object.freeze() tripled the cost of
// making one, and a split makes 512.
export function make_spte(level: number, pfn: kvm_pfn_t): leaf_spte {
  return { tag: 'leaf', pfn, large: level > PG_LEVEL_4K };
}

// make_nonleaf_spte() in arch/x86/kvm/mmu/spte.c
export function make_nonleaf_spte(child: kvm_mmu_page): nonleaf_spte {
  return { tag: 'nonleaf', child };
}

// make_small_spte() in arch/x86/kvm/mmu/spte.c: entry `index` of the table that
// replaces the huge leaf `huge_spte` one level down.
export function make_small_spte(huge_spte: leaf_spte, child_level: number, index: number): leaf_spte {
  return make_spte(child_level, huge_spte.pfn + index * KVM_PAGES_PER_HPAGE(child_level));
}
