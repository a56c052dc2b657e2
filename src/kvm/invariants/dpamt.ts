// Dynamic PAMT bookkeeping: a 2 MiB host region has its 4K PAMT installed exactly
// when some page holds a reference on it.
import type { kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn } from '../arch/x86/include/asm/kvm_host.ts';
import { SPTE_ENT_PER_PAGE } from '../arch/x86/include/asm/kvm_host.ts';
import { change_queue } from './queue.ts';

export function install_dpamt_invariant(kvm: kvm): void {
  const host = kvm.host;
  const dirty = new change_queue<{ region: number; gfn: number }>(kvm.run, 'dpamt', { drives: true });
  host.pamt.tp_changed.register((ev) => dirty.push(ev));
  kvm.run.invariant('dpamt', () => {
    for (const { region, gfn } of dirty.drain()) {
      const installed = host.pamt.is_installed(region);
      const refs = host.region_refcount(region);
      if (installed !== refs > 0) {
        const pfn = region * SPTE_ENT_PER_PAGE;
        return `DPAMT of host region pfn 0x${pfn.toString(16)} (for GFN ${gfn < 0 ? '?' : fmt_gfn(gfn)}) is ${installed ? 'installed' : 'not installed'} with refcount ${refs}`;
      }
    }
    return null;
  });
}
