// The mirror root and the S-EPT agree: wherever no mirror SPTE is frozen, every
// mirror leaf has an S-EPT leaf at the same GFN, level and PFN that is not blocked,
// and the S-EPT has no other leaf. Checked over the ranges that changed.
import { kvm_mirror_root, type kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn, KVM_PAGES_PER_HPAGE, level_name, type gfn_t } from '../arch/x86/include/asm/kvm_host.ts';
import { is_last_spte, is_shadow_present_pte } from '../arch/x86/kvm/mmu/spte.ts';
import { tdp_mmu_leaves, tdp_mmu_walk_gfn } from '../arch/x86/kvm/mmu/tdp_mmu.ts';
import { change_queue } from './queue.ts';

/** A mirror leaf, as a message names it (made only for a message: a check looks at
 * every leaf of the range). */
function mirror_leaf(level: number, gfn: gfn_t, pfn: number): string {
  return `mirror ${level_name(level)} leaf at GFN ${fmt_gfn(gfn)} -> pfn 0x${pfn.toString(16)}`;
}

/** The GFN and level of each mirror leaf a check matched, reused (checks never
 * overlap). */
const matched_gfns: gfn_t[] = [];
const matched_levels: number[] = [];

/** What disagrees in [lo, hi), or null; `frozen` when a mirror SPTE there is frozen. */
export function mirror_sept_disagreement(kvm: kvm, lo: gfn_t, hi: gfn_t): string | 'frozen' | null {
  const root = kvm_mirror_root(kvm);
  const td = kvm.tdx.td;
  if (tdp_mmu_walk_gfn(root, lo).frozen) return 'frozen';
  // The mirror leaves, all matched, by GFN and level: an S-EPT leaf is matched when
  // a mirror leaf sits at its GFN and level (the leaf at a level and GFN is the one
  // object stored there). Leaves DEMOTE left unmade are compared by their table's
  // descriptor, not made (td.leaf_pfn_at(), td.first_leaf_not_among()).
  let n = 0;
  for (const l of tdp_mmu_leaves(root, lo, hi)) {
    if (l.spte === null) return 'frozen';
    const p = td.leaf_pfn_at(l.gfn, l.level);
    if (p === -1) return `${mirror_leaf(l.level, l.gfn, l.spte.pfn)} has no S-EPT leaf`;
    const pfn = p < -1 ? -2 - p : p;
    if (pfn !== l.spte.pfn) return `${mirror_leaf(l.level, l.gfn, l.spte.pfn)} but the S-EPT maps pfn 0x${pfn.toString(16)}`;
    if (p < -1) return `${mirror_leaf(l.level, l.gfn, l.spte.pfn)} but the S-EPT leaf is BLOCKED`;
    matched_gfns[n] = l.gfn;
    matched_levels[n] = l.level;
    n++;
  }
  const e = td.first_leaf_not_among(lo, hi, matched_gfns, matched_levels, n);
  if (e !== null) return `S-EPT ${level_name(e.level)} leaf at GFN ${fmt_gfn(e.gfn)} (${e.state}) has no mirror leaf`;
  return null;
}

export function install_agreement_invariant(kvm: kvm): void {
  const dirty = new change_queue<[gfn_t, gfn_t]>(kvm.run, 'agreement', { drives: true });
  kvm.model.tp_spte_write.register((ev) => {
    if (!ev.sptep.sp.role.is_mirror) return;
    // A new empty table changes no leaf.
    if (!is_last_spte(ev.old_spte, ev.level) && !is_last_spte(ev.new_spte, ev.level) && is_shadow_present_pte(ev.new_spte) && !is_shadow_present_pte(ev.old_spte)) return;
    dirty.push([ev.gfn, ev.gfn + KVM_PAGES_PER_HPAGE(ev.level)]);
  });
  kvm.tdx.td.tp_sept_changed.register((ev) => dirty.push([ev.gfn, ev.gfn + ev.pages]));
  kvm.run.invariant('agreement', () => {
    for (const [lo, hi] of dirty.drain()) {
      const d = mirror_sept_disagreement(kvm, lo, hi);
      // Frozen: an update is in flight; its final write marks the range dirty again.
      if (d !== null && d !== 'frozen') return `mirror root and S-EPT disagree: ${d}`;
    }
    return null;
  });
}
