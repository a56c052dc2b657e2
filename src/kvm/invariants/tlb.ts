// No stale translations once an operation returns: when the operation that zapped
// or split an SPTE returns, no vCPU's TLB still holds a translation it filled before
// that SPTE changed and that overlaps it.
import type { kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn, level_name } from '../arch/x86/include/asm/kvm_host.ts';
import type { kvm_model_op } from '../model/model.ts';
import { tlb_holds } from '../arch/x86/kvm/x86.ts';
import { change_queue } from './queue.ts';

/** The first stale translation `op` left behind, or null. */
export function stale_tlb_entry(op: kvm_model_op): string | null {
  for (const r of op.retired) {
    for (const { vcpu, entry: e } of r.cached) {
      if (!tlb_holds(vcpu, e)) continue;
      const kind = r.is_private ? 'private' : 'shared';
      return `${vcpu.name} TLB still maps ${kind} GFN ${fmt_gfn(e.gfn)} (${level_name(e.level)} -> pfn 0x${e.pfn.toString(16)}) after ${op.name} returned; the ${level_name(r.level)} SPTE at ${fmt_gfn(r.gfn)} was zapped or split without a TLB flush`;
    }
  }
  return null;
}

export function install_tlb_invariant(kvm: kvm): void {
  const ended = new change_queue<kvm_model_op>(kvm.run, 'tlb', { drives: true });
  kvm.model.tp_op_end.register((op) => {
    if (op.retired.length > 0) ended.push(op);
  });
  kvm.run.invariant('tlb', () => {
    for (const op of ended.drain()) {
      const msg = stale_tlb_entry(op);
      if (msg !== null) return msg;
    }
    return null;
  });
}
