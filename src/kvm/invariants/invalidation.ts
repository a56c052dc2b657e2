// Invalidations are balanced and respected: no SPTE maps a new page inside a range
// being invalidated, and once every thread is done no invalidation is in progress.
import { INVALID_GPA, type kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn, fmt_range, KVM_PAGES_PER_HPAGE, level_name } from '../arch/x86/include/asm/kvm_host.ts';
import { is_shadow_present_pte, is_last_spte } from '../arch/x86/kvm/mmu/spte.ts';
import { change_queue } from './queue.ts';

export function install_invalidation_invariant(kvm: kvm): void {
  const bad = new change_queue<string>(kvm.run, 'invalidation');
  kvm.model.tp_spte_changed.register((ev) => {
    if (kvm.mmu_invalidate_in_progress === 0 || is_shadow_present_pte(ev.old_spte) || !is_last_spte(ev.new_spte, ev.level)) return;
    const lo = ev.gfn;
    const hi = ev.gfn + KVM_PAGES_PER_HPAGE(ev.level);
    const start = kvm.mmu_invalidate_range_start;
    const end = kvm.mmu_invalidate_range_end;
    if (start !== INVALID_GPA && (hi <= start || lo >= end)) return;
    const where = start === INVALID_GPA ? 'an invalidation whose range is not set yet' : `the invalidation of ${fmt_range(start, end)}`;
    bad.push(`${level_name(ev.level)} SPTE for GFN ${fmt_gfn(ev.gfn)} installed during ${where} by ${kvm.run.current?.name ?? '?'}`);
  });
  kvm.run.invariant('invalidation', () => {
    const msg = bad.drain()[0];
    if (msg !== undefined) return msg;
    if (kvm.run.allDone() && kvm.mmu_invalidate_in_progress !== 0) {
      const r = kvm.mmu_invalidate_range_start === INVALID_GPA ? 'no range' : fmt_range(kvm.mmu_invalidate_range_start, kvm.mmu_invalidate_range_end);
      return `kvm_mmu_invalidate_begin()/end() unbalanced: mmu_invalidate_in_progress = ${kvm.mmu_invalidate_in_progress} (GFNs ${r}) after every thread finished`;
    }
    return null;
  });
}
