// What the model records of its state for partial-order reduction: every access to
// shared model state goes through run.touch() at a choke point (a table's read() and
// write(), the S-EPT's lookups, interval_map, the TLB maps, accessors on plain
// fields), at the granularity the kernel has, so that steps on different GFN ranges
// commute. The keys, each with the range its accesses name:
//
//   spte:<m|d><level>    SPTEs of the mirror or direct root(s) at a level, by GFN
//   sept:<level>         S-EPT entries (leaves and tables, their BLOCK state and, with
//                        seamcall_contention, the module's locks on them) at a level, by GFN
//   td:epoch, td:vp<id>  the TD's TLB epoch; a vCPU's in-guest flag and epoch
//   td:content           content of private pages, by PFN
//   pamt                 DPAMT installed per 2 MiB host region
//   atomic:pamt_refcount[0x<pfn>]  a region's refcount (an atomic_t, by its first PFN)
//   host:alloc           the host's page allocator
//   attr                 memory attributes, by GFN
//   guest:accepted       what the guest accepted, by GFN
//   gmem:folios          guest_memfd folios, by file index (a huge block at a time)
//   tlb:<vcpu>:<p|s>     a vCPU's private or shared translations, by GFN
//   mmu_invalidate       mmu_invalidate_in_progress, _seq, _range_start/_end
//   memslots             kvm->memslots (the published set)
//   gmem:bindings        a guest_memfd's memslot bindings
//   srcu:&kvm->srcu      kvm->srcu's readers (read) and grace periods (write)
//   roots                the roots list and the roots' role.invalid
//   vm_bugged            kvm->vm_bugged
//   pamt_cache:<name>    a DPAMT page cache's count
//   sp:<name>:pamt       a table's external_spt_pamt
//   gen                  kvm_model.gen (see model.ts for why bumps are reads)
//   destroying           GFN ranges of in-flight operations that may destroy memory
//   inv:<name>           an invariant's queue of what changed
//
// Not recorded: state fixed at set-up (the memslot, hooks, geometry), what a table
// gets before it is linked and keeps after (role, GFN, external_spt: other threads
// reach the table only through the recorded write that links it), state only its
// own thread touches (a thread's operations in flight, its table-id and
// content-version sequences), statistics (kvm.stat: only metrics read them, once the
// schedule ended, and they are sums, the same in every order), and what only a
// message quotes.
import type { Footprint, Run } from '../../engine/index.ts';

type access = 'read' | 'write';

/** Records an access of `key` over [lo, hi); allocates only when the run keeps
 * footprints (Run.touchRange()). */
export function touch_range(run: Run, key: string, access: access, lo: number, hi: number): void {
  if (access === 'read' ? run.recordingReads : run.recording) run.touchRange(key, access, lo, hi);
}

/** A key accessed as a whole, with its two footprints built once. */
export class model_key {
  readonly read: Footprint;
  readonly write: Footprint;

  constructor(readonly key: string) {
    this.read = { key, access: 'read' };
    this.write = { key, access: 'write' };
  }
}

/** A write of `key` over [lo, hi), as a point declares it. */
export function range_write(key: string, lo: number, hi: number): Footprint {
  return { key, access: 'write', range: [lo, hi] };
}
