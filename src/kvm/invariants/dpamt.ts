// Dynamic PAMT bookkeeping: a 2 MiB host region has its 4K PAMT installed exactly
// when some page holds a reference on it, at the points where the code guarantees
// it: each release of pamt_lock, and once every thread is done. In between, a
// refcount transition and its SEAMCALL are apart: v6 06/11 makes the 0->1 and 1->0
// transitions and TDH.PHYMEM.PAMT.ADD/REMOVE under pamt_lock; the earlier posted put
// (atomic_dec_and_test(), then pamt_lock and a recheck) leaves a region at refcount 0
// with its PAMT installed until it takes the lock. A region that changed is checked
// at the next release of pamt_lock (or at the end).
import type { kvm } from '../include/linux/kvm_host.ts';
import { fmt_gfn } from '../arch/x86/include/asm/kvm_host.ts';
import { SPTE_ENT_PER_PAGE } from '../arch/x86/include/asm/kvm_host.ts';
import { change_queue } from './queue.ts';

export function install_dpamt_invariant(kvm: kvm): void {
  const host = kvm.host;
  const run = kvm.run;
  // Driven by its queue (the check finds nothing while it is empty and nothing is
  // pending); while changes wait for the next release of pamt_lock, the check asks
  // to be run after every step (dirty.again()), as what it waits for is a step's
  // operation, not a write it read.
  const dirty = new change_queue<{ region: number; gfn: number }>(run, 'dpamt', { drives: true });
  host.pamt.tp_changed.register((ev) => dirty.push(ev));
  /** Regions changed since the last check point. Each check reads the state it
   * judges (recorded), so the steps that changed it are ordered as their own
   * accesses require. */
  let pending: Array<{ region: number; gfn: number }> = [];
  run.invariant('dpamt', () => {
    // Added in place: `pending` is a new array after each check point.
    for (const c of dirty.drain()) pending.push(c);
    if (pending.length === 0) return null;
    const op = run.ops[run.step - 1];
    const released = op !== undefined && op.obj === host.pamt_lock.name && op.kind.includes('unlock');
    if (!released && !run.allDone()) {
      dirty.again();
      return null;
    }
    const todo = pending;
    pending = [];
    for (const { region, gfn } of todo) {
      const installed = host.pamt.is_installed(region);
      const refs = host.region_refcount(region);
      if (installed !== refs > 0) {
        const pfn = region * SPTE_ENT_PER_PAGE;
        return `DPAMT of host region pfn 0x${pfn.toString(16)} (for GFN ${gfn < 0 ? '?' : fmt_gfn(gfn)}) is ${installed ? 'installed' : 'not installed'} with refcount ${refs}${released ? ' once pamt_lock is released' : ' once every thread is done'}`;
      }
    }
    return null;
  });
}
