// Fixtures for a scenario's setup: state as if faults and ACCEPTs had already run,
// built directly (no scheduling points, no tracepoints), consistent by construction:
// mirror root, S-EPT, DPAMT, guest_memfd folios and the guest's view agree.
import { fmt_gfn, gfn_round_for_level, type gfn_t, KVM_PAGES_PER_HPAGE, type kvm_pfn_t, PG_LEVEL_4K, SPTE_INDEX } from '../arch/x86/include/asm/kvm_host.ts';
import type { kvm_mmu_page } from '../arch/x86/kvm/mmu/mmu_internal.ts';
import { SHARED_PFN_BASE } from '../arch/x86/kvm/mmu/mmu.ts';
import { is_shadow_present_pte, make_nonleaf_spte, make_spte, spte_to_child_sp } from '../arch/x86/kvm/mmu/spte.ts';
import { kvm_mmu_page_new, tdp_mmu_init_sp } from '../arch/x86/kvm/mmu/tdp_mmu.ts';
import { pamt_region, sept_entry } from '../arch/x86/virt/vmx/tdx/tdx_module.ts';
import type { tdx_host } from '../arch/x86/virt/vmx/tdx/tdx.ts';
import { __gfn_to_memslot, type kvm, kvm_direct_root, kvm_mem_attrs_store, type kvm_memory_slot, kvm_mirror_root } from '../include/linux/kvm_host.ts';
import { type folio, kvm_gmem_get_index } from '../virt/kvm/guest_memfd.ts';
import { sp_memory_at_setup } from './lifetime.ts';

/** A DPAMT reference taken at setup: install the region's PAMT on first use. */
function pamt_get_at_setup(host: tdx_host, pfn: kvm_pfn_t): void {
  if (!host.pamt.dynamic) return;
  const n = host.refcount(pfn);
  if (n === 0) host.pamt.install(pamt_region(pfn));
  host.set_refcount(pfn, n + 1, -1);
}

/** The memslot holding `gfn` (at setup: no SRCU reader to check). */
function memslot_at_setup(kvm: kvm, gfn: gfn_t): kvm_memory_slot {
  const slot = __gfn_to_memslot(kvm.memslots, gfn);
  if (slot === null) throw new Error(`setup: no memslot holds GFN ${fmt_gfn(gfn)}`);
  return slot;
}

/** Attributes over [start, end) at setup, as if KVM_SET_MEMORY_ATTRIBUTES had run. */
export function kvm_set_attributes_at_setup(kvm: kvm, start: gfn_t, end: gfn_t, attributes: number): void {
  kvm_mem_attrs_store(kvm, start, end, attributes);
}

/** The folio backing `gfn` (in `slot`), allocated if needed, of at least `order`. */
function folio_at_setup(kvm: kvm, slot: kvm_memory_slot, gfn: gfn_t, order: number): folio {
  const gmem = slot.gmem.file;
  const index = kvm_gmem_get_index(slot, gfn);
  let f = gmem.filemap_get_folio(index);
  if (f === null) {
    const o = gmem.order_for(index);
    f = { index: index - (index % 2 ** o), order: o, pfn: kvm.host.alloc_pages(o) };
    gmem.add_folio(f);
  }
  if (f.order < order) throw new Error(`setup: folio at ${fmt_gfn(gfn)} has order ${f.order}, cannot back a level ${order} mapping`);
  return f;
}

/** Walks from `root` to the table holding level-`level` entries for `gfn`, adding
 * tables (and, on the mirror root, their S-EPT tables) on the way. */
function table_at_setup(kvm: kvm, root: kvm_mmu_page, gfn: gfn_t, level: number): kvm_mmu_page {
  let sp = root;
  for (let l = root.role.level; l > level; l--) {
    const index = SPTE_INDEX(gfn, l);
    const spte = sp.read(index);
    const child = spte_to_child_sp(spte);
    if (child !== null) {
      sp = child;
      continue;
    }
    if (is_shadow_present_pte(spte)) throw new Error(`setup: a leaf already maps ${fmt_gfn(gfn)} at level ${l}`);
    const next = kvm_mmu_page_new(kvm);
    sp_memory_at_setup(kvm, next, root.role.is_mirror);
    const base = gfn_round_for_level(gfn, l);
    tdp_mmu_init_sp(next, { sp, index }, base, { level: l - 1, is_mirror: root.role.is_mirror, invalid: false });
    if (root.role.is_mirror) {
      next.external_spt = kvm.host.alloc_pages(0);
      pamt_get_at_setup(kvm.host, next.external_spt);
      next.external_spt_pamt = true;
      kvm.tdx.td.set_table(base, l, next.external_spt);
    }
    sp.write(index, make_nonleaf_spte(next));
    kvm.stat.pages_tables++;
    sp = next;
  }
  return sp;
}

export interface premap_opts {
  /** The guest accepted the page (S-EPT MAPPED); default true. Else PENDING. */
  readonly accepted?: boolean;
}

/** Maps the private `level` page holding `gfn`: mirror leaf, S-EPT leaf, folio,
 * DPAMT, and (if accepted) content the guest expects. */
export function tdx_premap_private(kvm: kvm, gfn: gfn_t, level: number, opts: premap_opts = {}): void {
  const base = gfn_round_for_level(gfn, level);
  const pages = KVM_PAGES_PER_HPAGE(level);
  const slot = memslot_at_setup(kvm, base);
  const f = folio_at_setup(kvm, slot, base, (level - 1) * 9);
  const pfn = f.pfn + (kvm_gmem_get_index(slot, base) - f.index);
  const sp = table_at_setup(kvm, kvm_mirror_root(kvm), base, level);
  const index = SPTE_INDEX(base, level);
  if (sp.read(index).tag !== 'nonpresent') throw new Error(`setup: ${fmt_gfn(base)} is already mapped`);
  sp.write(index, make_spte(level, pfn));
  kvm.stat.pages[level] = (kvm.stat.pages[level] ?? 0) + 1;
  const td = kvm.tdx.td;
  const e = new sept_entry(base, level, pfn);
  e.accepted = opts.accepted ?? true;
  td.set_leaf(e);
  if (level === PG_LEVEL_4K) pamt_get_at_setup(kvm.host, pfn);
  if (e.accepted) {
    const v = td.new_content_version();
    td.content.set(pfn, pfn + pages, v);
    kvm.guest.accepted.set(base, base + pages, v);
  }
}

/** Maps the shared `level` page holding `gfn` in the normal root (default 4K). */
export function kvm_premap_shared(kvm: kvm, gfn: gfn_t, level: number = PG_LEVEL_4K): void {
  const base = gfn_round_for_level(gfn, level);
  const sp = table_at_setup(kvm, kvm_direct_root(kvm), base, level);
  sp.write(SPTE_INDEX(base, level), make_spte(level, SHARED_PFN_BASE + base));
  kvm.stat.pages[level] = (kvm.stat.pages[level] ?? 0) + 1;
}
