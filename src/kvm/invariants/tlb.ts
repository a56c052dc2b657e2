// No stale translations once an operation returns: when the operation that zapped
// or split an SPTE returns, no vCPU's TLB still holds a translation it filled before
// that SPTE changed and that overlaps it.
import type { kvm } from '../kvm.ts';
import { fmt_gfn, KVM_PAGES_PER_HPAGE, level_name } from '../levels.ts';
import type { kvm_model_op } from '../model.ts';

/** The first stale translation `op` left behind, or null. */
export function stale_tlb_entry(kvm: kvm, op: kvm_model_op): string | null {
  for (const r of op.retired) {
    const lo = r.gfn;
    const hi = r.gfn + KVM_PAGES_PER_HPAGE(r.level);
    for (const v of kvm.vcpus) {
      for (const e of v.tlb.values()) {
        if (e.is_private !== r.is_private || e.seq > r.seq) continue;
        if (e.gfn + KVM_PAGES_PER_HPAGE(e.level) <= lo || e.gfn >= hi) continue;
        const kind = r.is_private ? 'private' : 'shared';
        return `${v.name} TLB still maps ${kind} GFN ${fmt_gfn(e.gfn)} (${level_name(e.level)} -> pfn 0x${e.pfn.toString(16)}) after ${op.name} returned; the ${level_name(r.level)} SPTE at ${fmt_gfn(r.gfn)} was zapped or split without a TLB flush`;
      }
    }
  }
  return null;
}

export function install_tlb_invariant(kvm: kvm): void {
  const ended: kvm_model_op[] = [];
  kvm.model.tp_op_end.register((op) => {
    if (op.retired.length > 0) ended.push(op);
  });
  kvm.run.invariant('tlb', () => {
    while (ended.length > 0) {
      const msg = stale_tlb_entry(kvm, ended.shift()!);
      if (msg !== null) return msg;
    }
    return null;
  });
}
