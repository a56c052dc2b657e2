// struct kvm_vcpu for a TD (include/linux/kvm_host.h, arch/x86/kvm/vmx/tdx.h struct
// vcpu_tdx): its MMU caches, its DPAMT cache, the TLB (translations the CPU cached,
// stale huge ones included), and whether it runs in the guest.
import { tdx_pamt_cache } from './dpamt.ts';
import { kvm_mmu_memory_cache } from './kernel.ts';
import type { kvm } from './kvm.ts';
import { fmt_gfn, gfn_round_for_level, PG_LEVEL_1G, PG_LEVEL_4K, type gfn_t, type kvm_pfn_t } from './levels.ts';
import type { tdx_vp } from './tdx_module.ts';
import { kvm_footprint } from './footprint.ts';

// KVM_REQ_* in include/linux/kvm_host.h
export const KVM_REQ_TLB_FLUSH = 'KVM_REQ_TLB_FLUSH';
export const KVM_REQ_OUTSIDE_GUEST_MODE = 'KVM_REQ_OUTSIDE_GUEST_MODE';

/** A translation cached by a vCPU: `level` leaf at `gfn` to `pfn`. */
export interface tlb_entry {
  readonly gfn: gfn_t;
  readonly level: number;
  readonly pfn: kvm_pfn_t;
  readonly is_private: boolean;
  /** kvm_model.seq when it was filled. */
  readonly seq: number;
}

// struct kvm_vcpu_arch in arch/x86/include/asm/kvm_host.h: the MMU caches.
export interface kvm_vcpu_arch {
  readonly mmu_page_header_cache: kvm_mmu_memory_cache;
  readonly mmu_shadow_page_cache: kvm_mmu_memory_cache;
  readonly mmu_external_spt_cache: kvm_mmu_memory_cache;
}

// struct kvm_vcpu in include/linux/kvm_host.h (+ struct vcpu_tdx).
export class kvm_vcpu {
  readonly arch: kvm_vcpu_arch;
  /** to_tdx(vcpu)->pamt_cache: DPAMT pages for faults and splits on this vCPU. */
  readonly pamt_cache: tdx_pamt_cache;
  /** Cached translations, by `private:level:gfn`. */
  readonly tlb = new Map<string, tlb_entry>();
  /** The thread running this vCPU (kvm_get_running_vcpu()). */
  thread: string | null = null;

  constructor(
    readonly kvm: kvm,
    readonly vcpu_id: number,
  ) {
    this.arch = {
      mmu_page_header_cache: new kvm_mmu_memory_cache(kvm.k, `vcpu${vcpu_id}->arch.mmu_page_header_cache`),
      mmu_shadow_page_cache: new kvm_mmu_memory_cache(kvm.k, `vcpu${vcpu_id}->arch.mmu_shadow_page_cache`),
      mmu_external_spt_cache: new kvm_mmu_memory_cache(kvm.k, `vcpu${vcpu_id}->arch.mmu_external_spt_cache`),
    };
    this.pamt_cache = new tdx_pamt_cache(`vcpu${vcpu_id}->pamt_cache`);
    kvm.tdx.td.vp.set(vcpu_id, { in_guest: false, epoch: kvm.tdx.td.epoch });
  }

  /** The TDX module's state for this vCPU. */
  get vp(): tdx_vp {
    return this.kvm.tdx.td.vp.get(this.vcpu_id)!;
  }

  get in_guest(): boolean {
    return this.vp.in_guest;
  }

  get name(): string {
    return `vcpu${this.vcpu_id}`;
  }
}

// kvm_get_running_vcpu() in virt/kvm/kvm_main.c
export function kvm_get_running_vcpu(kvm: kvm): kvm_vcpu | null {
  const me = kvm.run.current?.name;
  if (me === undefined) return null;
  for (const v of kvm.vcpus) if (v.thread === me) return v;
  return null;
}

function tlb_key(is_private: boolean, level: number, gfn: gfn_t): string {
  return `${is_private ? 'p' : 's'}:${level}:${gfn}`;
}

/** The cached translation of `gfn`, if any. */
export function tlb_lookup(vcpu: kvm_vcpu, gfn: gfn_t, is_private: boolean): tlb_entry | null {
  for (let level = PG_LEVEL_4K; level <= PG_LEVEL_1G; level++) {
    const e = vcpu.tlb.get(tlb_key(is_private, level, gfn_round_for_level(gfn, level)));
    if (e !== undefined) return e;
  }
  return null;
}

/** The CPU caches a translation after a successful walk. */
export function tlb_fill(vcpu: kvm_vcpu, gfn: gfn_t, level: number, pfn: kvm_pfn_t, is_private: boolean): tlb_entry {
  const base = gfn_round_for_level(gfn, level);
  const e: tlb_entry = { gfn: base, level, pfn, is_private, seq: ++vcpu.kvm.model.seq };
  vcpu.tlb.set(tlb_key(is_private, level, base), e);
  return e;
}

// kvm_vcpu_flush_tlb_all()
export function kvm_vcpu_flush_tlb_all(vcpu: kvm_vcpu): void {
  vcpu.tlb.clear();
}

// kvm_make_all_cpus_request() in virt/kvm/kvm_main.c: IPIs every vCPU and waits until
// each has left the guest. Leaving the guest flushes its TLB (for a TD, the TDX
// module flushes at the next entry after a TRACK; the model flushes at the exit).
export async function kvm_make_all_cpus_request(kvm: kvm, req: string): Promise<void> {
  await kvm.run.point({ kind: 'kvm_make_all_cpus_request', obj: req, footprint: kvm_footprint({ key: 'vcpus', access: 'write' }) });
  for (const v of kvm.vcpus) {
    v.vp.in_guest = false;
    kvm_vcpu_flush_tlb_all(v);
  }
}

// tdx_vcpu_run() -> tdh_vp_enter() in arch/x86/kvm/vmx/tdx.c: enter the TD; a TLB
// epoch that moved since the vCPU last ran flushes its TLB.
export async function vcpu_enter_guest(vcpu: kvm_vcpu): Promise<void> {
  const td = vcpu.kvm.tdx.td;
  await vcpu.kvm.run.point({ kind: 'tdh_vp_enter', obj: vcpu.name, footprint: kvm_footprint({ key: 'vcpus', access: 'read' }) });
  const vp = vcpu.vp;
  if (vp.epoch < td.epoch) kvm_vcpu_flush_tlb_all(vcpu);
  vp.epoch = td.epoch;
  vp.in_guest = true;
}

/** A TD exit: the vCPU leaves the guest for KVM. */
export function tdx_vcpu_exit(vcpu: kvm_vcpu): void {
  vcpu.vp.in_guest = false;
}

/**
 * A vCPU about to go round a retry loop again (the guest re-executing an access or
 * an ACCEPT, tdx_handle_ept_violation()'s local retry with cond_resched()).
 * `since` is kvm_model.gen when the failed attempt began. Model choice: an attempt
 * on a state that has not changed since fails again identically, so the vCPU waits
 * here until something changed, or until it is alone, when waiting can no longer
 * help; the liveness invariant reports a vCPU that keeps retrying alone.
 */
export async function kvm_vcpu_retry(vcpu: kvm_vcpu, gfn: gfn_t, reason: string, since: number): Promise<void> {
  const kvm = vcpu.kvm;
  const m = kvm.model;
  const me = kvm.run.current?.name ?? vcpu.name;
  const alone = m.others(me).length === 0;
  m.tp_vcpu_retry.trace({ thread: me, vcpu_id: vcpu.vcpu_id, gfn, reason, alone, progress: m.gen !== since });
  if (kvm.run.tracing) kvm.run.event(`${vcpu.name} retries GFN ${fmt_gfn(gfn)} (${reason}): ${m.gen !== since ? 'something changed since its last try' : alone ? 'alone, and nothing changed' : 'waits until something changes'}`);
  await kvm.run.point({
    kind: 'cond_resched',
    obj: `${vcpu.name} retry ${reason} ${fmt_gfn(gfn)}`,
    footprint: kvm_footprint(),
    waitsOn: () => {
      if (m.gen !== since) return null;
      const others = m.others(me);
      return others.length === 0 ? null : others;
    },
  });
}
