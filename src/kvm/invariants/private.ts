// Private memory is never clobbered: a private GFN the guest accepted, outside every
// in-flight operation that may destroy memory, keeps an accepted S-EPT mapping whose
// page holds the content the guest expects. Checked where the S-EPT changed.
import type { kvm } from '../include/linux/kvm_host.ts';
import { KVM_MEMORY_ATTRIBUTE_PRIVATE } from '../include/linux/kvm_host.ts';
import { fmt_gfn, type gfn_t, PG_LEVEL_4K } from '../arch/x86/include/asm/kvm_host.ts';
import { describe_ops, type kvm_model_op } from '../model/model.ts';
import { change_queue } from './queue.ts';

interface dirty {
  readonly lo: gfn_t;
  readonly hi: gfn_t;
  readonly what: string;
  /** Operations that may destroy memory in flight when it changed (named only in
   * a message: kept as they were, formatted when one is made). */
  readonly inflight: readonly kvm_model_op[];
}

/** The first GFN in [lo, hi) whose private memory is gone, and why; or null.
 * `batch`: check the content of runs of accepted 4K leaves in one go (allowed when
 * nothing records this check's reads, which it would read otherwise). */
export function private_memory_lost(kvm: kvm, lo: gfn_t, hi: gfn_t, batch = !kvm.run.recording): { gfn: gfn_t; why: string } | null {
  const td = kvm.tdx.td;
  for (const p of kvm.guest.accepted.pieces(lo, hi)) {
    if (p.value === undefined) continue;
    for (const a of kvm.mem_attr_array.pieces(p.lo, p.hi)) {
      if (((a.value ?? 0) & KVM_MEMORY_ATTRIBUTE_PRIVATE) === 0) continue;
      for (let g = a.lo; g < a.hi; ) {
        const e = td.lookup(g);
        if (e === null) return { gfn: g, why: 'has no S-EPT mapping' };
        if (!e.accepted) return { gfn: g, why: `is mapped PENDING (pfn 0x${e.pfn.toString(16)}): the guest must accept it again` };
        let stop = Math.min(a.hi, e.gfn + e.pages);
        // The accepted 4K leaves that follow on contiguous PFNs have their content
        // checked in one go, which finds the same first bad GFN as one by one.
        if (batch && e.level === PG_LEVEL_4K) stop = td.accepted_4k_run_end(e, a.hi);
        const pfn = e.pfn + (g - e.gfn);
        const bad = td.content.first_other(pfn, pfn + (stop - g), p.value);
        if (bad >= 0) return { gfn: g + (bad - pfn), why: `holds content v${td.content.peek(bad) ?? '-'} where the guest expects v${p.value}` };
        g = stop;
      }
    }
  }
  return null;
}

export function install_private_invariant(kvm: kvm): void {
  const items = new change_queue<dirty>(kvm.run, 'private', { drives: true });
  kvm.tdx.td.tp_sept_changed.register((ev) => {
    const inflight = kvm.model.destroying();
    for (const [lo, hi] of kvm.model.uncovered(ev.gfn, ev.gfn + ev.pages)) items.push({ lo, hi, what: ev.what, inflight });
  });
  kvm.run.invariant('private', () => {
    for (const d of items.drain()) {
      const lost = private_memory_lost(kvm, d.lo, d.hi);
      if (lost !== null) {
        return `private GFN ${fmt_gfn(lost.gfn)} ${lost.why} after an S-EPT ${d.what}; it lies outside every operation allowed to discard memory (in flight: ${describe_ops(d.inflight)})`;
      }
    }
    return null;
  });
}
