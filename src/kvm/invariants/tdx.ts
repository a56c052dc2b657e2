// The TDX module's rules are kept: KVM issues DEMOTE, PROMOTE and REMOVE only on entries it
// blocked and then tracked (a TRACK after the BLOCK, with vCPUs out of the guest).
import type { kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn, level_name } from '../arch/x86/include/asm/kvm_host.ts';
import type { seamcall_event } from '../arch/x86/virt/vmx/tdx/tdx_module.ts';
import { change_queue } from './queue.ts';

const GUARDED = new Set(['tdh_mem_page_demote', 'tdh_mem_page_remove', 'tdh_mem_page_promote']);
const PRECONDITION = new Set(['TDX_EPT_ENTRY_STATE_INCORRECT', 'TDX_TLB_TRACKING_NOT_DONE', 'TDX_GPA_RANGE_NOT_BLOCKED']);

export function install_tdx_invariant(kvm: kvm): void {
  const bad = new change_queue<seamcall_event>(kvm.run, 'tdx', { drives: true });
  kvm.tdx.td.tp_seamcall.register((ev) => {
    if (GUARDED.has(ev.leaf) && PRECONDITION.has(ev.status)) bad.push(ev);
  });
  kvm.run.invariant('tdx', () => {
    const ev = bad.drain()[0];
    if (ev === undefined) return null;
    const why = ev.status === 'TDX_TLB_TRACKING_NOT_DONE' ? 'blocked but not tracked' : 'not blocked';
    return `${ev.leaf}(GFN ${fmt_gfn(ev.gfn)}, ${level_name(ev.level)}) on an entry ${why}: ${ev.status}`;
  });
}
