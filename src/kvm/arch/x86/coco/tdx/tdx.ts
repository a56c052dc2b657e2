// arch/x86/coco/tdx/tdx.c (the guest side: TDG.MEM.PAGE.ACCEPT)
// The TD guest, as far as the model needs it: which private GFNs it has accepted and
// the content it expects there (a version bumped by every ACCEPT, which zeroes the
// page, and every write), and the guest kernel's ACCEPT and memory access with the TD
// exits they cause (arch/x86/coco/tdx/tdx-shared.c on the guest side).
import { fmt_gfn, gfn_round_for_level, type gfn_t, KVM_PAGES_PER_HPAGE, PG_LEVEL_4K } from '../../include/asm/kvm_host.ts';
import { tdp_mmu_walk_gfn } from '../../kvm/mmu/tdp_mmu.ts';
import { type kvm_vcpu, tlb_fill, tlb_lookup } from '../../kvm/x86.ts';
import { tdg_mem_page_accept, type tdx_status } from '../../virt/vmx/tdx/tdx_module.ts';
import { EIO } from '../../../../include/uapi/asm-generic/errno.ts';
import { type kvm, kvm_direct_root, kvm_vcpu_srcu_read_unlock } from '../../../../include/linux/kvm_host.ts';
import { range_write } from '../../../../model/footprint.ts';
import { interval_map } from '../../../../model/interval_map.ts';

/** The guest kernel's record of the private memory it accepted. */
export class tdx_guest {
  /** GFN -> content version the guest expects; present means accepted. Runs, not pages. */
  readonly accepted: interval_map<string>;

  constructor(readonly kvm: kvm) {
    this.accepted = new interval_map<string>({ run: kvm.run, key: 'guest:accepted' });
    // When the host discards private memory on behalf of an operation that may do
    // so (conversion, punch hole, memory failure), the guest asked for it or was
    // told; it forgets those pages. Memory removed outside such an operation stays
    // "accepted" here: that is the clobbering the private invariant reports.
    kvm.tdx.td.tp_sept_changed.register((ev) => {
      if (ev.what !== 'remove') return;
      const uncovered = kvm.model.uncovered(ev.gfn, ev.gfn + ev.pages);
      let lo = ev.gfn;
      for (const [a, b] of uncovered) {
        if (a > lo) this.accepted.set(lo, a, undefined);
        lo = b;
      }
      if (lo < ev.gfn + ev.pages) this.accepted.set(lo, ev.gfn + ev.pages, undefined);
    });
  }
}

/** Re-enters the guest if KVM is running this vCPU. */
async function guest_mode(vcpu: kvm_vcpu): Promise<void> {
  if (!vcpu.in_guest) await vcpu.kvm.call.vcpu_enter_guest(vcpu);
}

export type guest_result = tdx_status | '#VE' | 'ok' | number;

// try_accept_one() in arch/x86/coco/tdx/tdx-shared.c: TDG.MEM.PAGE.ACCEPT of the
// `level` page holding `gfn`, re-executed after each TD exit KVM handles. Returns the
// module's status, or KVM's error.
export async function try_accept_one(vcpu: kvm_vcpu, gfn: gfn_t, level: number): Promise<guest_result> {
  const kvm = vcpu.kvm;
  const td = kvm.tdx.td;
  const start = gfn_round_for_level(gfn, level);
  const pages = KVM_PAGES_PER_HPAGE(level);
  for (;;) {
    await guest_mode(vcpu);
    const since = kvm.model.since();
    const r = await tdg_mem_page_accept(td, start, level);
    if (r.status === 'TDX_SUCCESS') {
      const e = td.lookup(start)!;
      kvm.guest.accepted.set(start, start + pages, td.content.get(e.pfn + (start - e.gfn)));
      return r.status;
    }
    if (r.status === 'TDX_PAGE_ALREADY_ACCEPTED' || r.status === 'TDX_PAGE_SIZE_MISMATCH') return r.status;
    // A SEAMCALL on the entry holds the module's lock on it (seamcall_contention):
    // the guest re-executes the ACCEPT, without an exit.
    if (r.status === 'TDX_OPERAND_BUSY') {
      await vcpu.kvm.call.kvm_vcpu_retry(vcpu, start, r.status, since);
      continue;
    }
    await vcpu.kvm.call.tdx_vcpu_exit(vcpu);
    const ret =
      r.status === 'EXIT_EPT_VIOLATION'
        ? await vcpu.kvm.call.tdx_handle_ept_violation(vcpu, start, true, level)
        : await vcpu.kvm.call.tdx_handle_mismatched_accept(vcpu, start, level);
    if (ret < 0) return ret;
    if (kvm.vm_bugged) return -EIO;
    // Back to the guest, which re-executes the ACCEPT: KVM drops kvm->srcu first.
    if (vcpu.srcu_depth > 0) await kvm_vcpu_srcu_read_unlock(vcpu);
    await vcpu.kvm.call.kvm_vcpu_retry(vcpu, start, r.status, since);
  }
}

/** The guest reads or writes `gfn`: a TLB hit, or a hardware walk (S-EPT for private,
 * the normal root for shared) that fills the TLB, or an EPT violation KVM handles
 * before the access is re-executed. A private page mapped but not accepted raises
 * #VE in the guest. `write` gives the page new content. */
export async function guest_access(vcpu: kvm_vcpu, gfn: gfn_t, is_private: boolean, write = false): Promise<guest_result> {
  const kvm = vcpu.kvm;
  const td = kvm.tdx.td;
  for (;;) {
    await guest_mode(vcpu);
    // What the hardware walk may touch: this vCPU's TLB for the GFN (the rest is recorded).
    await kvm.run.point({
      kind: write ? 'guest_write' : 'guest_read',
      obj: `${is_private ? 'private' : 'shared'} ${fmt_gfn(gfn)}`,
      footprint: [range_write((is_private ? vcpu.tlb_key.private : vcpu.tlb_key.shared).key, gfn, gfn + 1)],
    });
    const since = kvm.model.since();
    let hit = tlb_lookup(vcpu, gfn, is_private) !== null;
    if (!hit && is_private) {
      const e = td.lookup(gfn);
      if (e !== null && !e.blocked && !td.blocked_above(e.gfn, e.level)) {
        if (!e.accepted) return '#VE';
        tlb_fill(vcpu, e.gfn, e.level, e.pfn, true);
        hit = true;
      }
    } else if (!hit) {
      const w = tdp_mmu_walk_gfn(kvm_direct_root(kvm), gfn);
      if (w.leaf !== null) {
        tlb_fill(vcpu, w.gfn, w.level, w.leaf.pfn, false);
        hit = true;
      }
    }
    if (hit) {
      if (write && is_private) guest_write_content(kvm, gfn);
      return 'ok';
    }
    await vcpu.kvm.call.tdx_vcpu_exit(vcpu);
    const ret = await vcpu.kvm.call.tdx_handle_ept_violation(vcpu, gfn, is_private, PG_LEVEL_4K);
    if (ret < 0) return ret;
    if (kvm.vm_bugged) return -EIO;
    // Back to the guest, which re-executes the access: KVM drops kvm->srcu first.
    if (vcpu.srcu_depth > 0) await kvm_vcpu_srcu_read_unlock(vcpu);
    await vcpu.kvm.call.kvm_vcpu_retry(vcpu, gfn, 'EPT violation', since);
  }
}

/** A guest store: the private page at `gfn` gets new content, in memory and in what
 * the guest expects. */
function guest_write_content(kvm: kvm, gfn: gfn_t): void {
  const td = kvm.tdx.td;
  const e = td.lookup(gfn);
  if (e === null) return;
  const pfn = e.pfn + (gfn - e.gfn);
  const v = td.new_content_version();
  td.content.set(pfn, pfn + 1, v);
  kvm.guest.accepted.set(gfn, gfn + 1, v);
  td.changed(gfn, 1, 'write');
}
