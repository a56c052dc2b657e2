// arch/x86/kvm/x86.c (struct kvm_vcpu, vcpu_enter_guest(), requests)
// struct kvm_vcpu for a TD (include/linux/kvm_host.h, arch/x86/kvm/vmx/tdx.h struct
// vcpu_tdx): its MMU caches, its DPAMT cache, the TLB (translations the CPU cached,
// stale huge ones included), and whether it runs in the guest. The TLB is recorded
// by GFN range (footprint.ts: `tlb:<vcpu>:<p|s>`): a fill writes the range its entry
// maps, a lookup reads the GFN looked up.
import { exitKey, type Footprint } from '../../../../engine/index.ts';
import { fmt_gfn, gfn_round_for_level, type gfn_t, KVM_PAGES_PER_HPAGE, type kvm_pfn_t, PG_LEVEL_1G, PG_LEVEL_4K } from '../include/asm/kvm_host.ts';
import type { tdx_vp } from '../virt/vmx/tdx/tdx_module.ts';
import { tdx_pamt_cache } from '../virt/vmx/tdx/tdx.ts';
import { type kvm, kvm_vcpu_srcu_read_lock, kvm_vcpu_srcu_read_unlock } from '../../../include/linux/kvm_host.ts';
import { model_key, touch_range } from '../../../model/footprint.ts';
import { kvm_mmu_memory_cache, shared_cache } from '../../../model/kernel.ts';
import { mmu_page_header_cache } from './mmu/mmu_internal.ts';
import { GEN } from '../../../model/model.ts';

// KVM_REQ_* in include/linux/kvm_host.h
export const KVM_REQ_TLB_FLUSH = 'KVM_REQ_TLB_FLUSH';
export const KVM_REQ_OUTSIDE_GUEST_MODE = 'KVM_REQ_OUTSIDE_GUEST_MODE';

/** A translation cached by a vCPU: `level` leaf at `gfn` to `pfn`. */
export interface tlb_entry {
  readonly gfn: gfn_t;
  readonly level: number;
  readonly pfn: kvm_pfn_t;
  readonly is_private: boolean;
}

// struct kvm_vcpu_arch in arch/x86/include/asm/kvm_host.h: the MMU caches.
export interface kvm_vcpu_arch {
  readonly mmu_page_header_cache: kvm_mmu_memory_cache;
  readonly mmu_shadow_page_cache: kvm_mmu_memory_cache;
  readonly mmu_external_spt_cache: kvm_mmu_memory_cache;
}

/** A vCPU's cache names and TLB keys: the same in every schedule, made once per
 * vcpu_id and shared (kernel/shared.ts). */
const vcpu_names = shared_cache((id: string) => ({
  mmu_page_header_cache: `vcpu${id}->arch.mmu_page_header_cache`,
  mmu_shadow_page_cache: `vcpu${id}->arch.mmu_shadow_page_cache`,
  mmu_external_spt_cache: `vcpu${id}->arch.mmu_external_spt_cache`,
  pamt_cache: `vcpu${id}->pamt_cache`,
  tlb_key: { private: new model_key(`tlb:vcpu${id}:p`), shared: new model_key(`tlb:vcpu${id}:s`) },
}));

// struct kvm_vcpu in include/linux/kvm_host.h (+ struct vcpu_tdx).
export class kvm_vcpu {
  readonly arch: kvm_vcpu_arch;
  /** to_tdx(vcpu)->pamt_cache: DPAMT pages for faults and splits on this vCPU. */
  readonly pamt_cache: tdx_pamt_cache;
  /** Cached translations, by `private:level:gfn`; through the tlb_* functions below,
   * which record their accesses. */
  readonly tlb = new Map<string, tlb_entry>();
  /** The thread running this vCPU (kvm_get_running_vcpu()); set before any thread runs. */
  thread: string | null = null;
  /** vcpu->____srcu_idx and vcpu->srcu_depth (kvm_vcpu_srcu_read_lock()); only this
   * vCPU's thread uses them. */
  srcu_idx = 0;
  srcu_depth = 0;
  /** Footprint keys of the private and shared translations. */
  readonly tlb_key: { readonly private: model_key; readonly shared: model_key };

  constructor(
    readonly kvm: kvm,
    readonly vcpu_id: number,
  ) {
    const n = vcpu_names(String(vcpu_id));
    this.arch = {
      mmu_page_header_cache: new kvm_mmu_memory_cache(kvm.k, n.mmu_page_header_cache, { kmem_cache: mmu_page_header_cache(kvm.k) }),
      mmu_shadow_page_cache: new kvm_mmu_memory_cache(kvm.k, n.mmu_shadow_page_cache),
      mmu_external_spt_cache: new kvm_mmu_memory_cache(kvm.k, n.mmu_external_spt_cache),
    };
    this.pamt_cache = new tdx_pamt_cache(n.pamt_cache, kvm.run);
    this.tlb_key = n.tlb_key;
    kvm.tdx.td.add_vp(vcpu_id);
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

function tlb_fp_key(vcpu: kvm_vcpu, is_private: boolean): string {
  return (is_private ? vcpu.tlb_key.private : vcpu.tlb_key.shared).key;
}

/** The cached translation of `gfn`, if any: a read of that GFN. */
export function tlb_lookup(vcpu: kvm_vcpu, gfn: gfn_t, is_private: boolean): tlb_entry | null {
  touch_range(vcpu.kvm.run, tlb_fp_key(vcpu, is_private), 'read', gfn, gfn + 1);
  for (let level = PG_LEVEL_4K; level <= PG_LEVEL_1G; level++) {
    const e = vcpu.tlb.get(tlb_key(is_private, level, gfn_round_for_level(gfn, level)));
    if (e !== undefined) return e;
  }
  return null;
}

/** The CPU caches a translation after a successful walk: a write of what it maps. */
export function tlb_fill(vcpu: kvm_vcpu, gfn: gfn_t, level: number, pfn: kvm_pfn_t, is_private: boolean): tlb_entry {
  const base = gfn_round_for_level(gfn, level);
  touch_range(vcpu.kvm.run, tlb_fp_key(vcpu, is_private), 'write', base, base + KVM_PAGES_PER_HPAGE(level));
  const e: tlb_entry = { gfn: base, level, pfn, is_private };
  vcpu.tlb.set(tlb_key(is_private, level, base), e);
  return e;
}

/** Whether `vcpu` still caches the very translation `e` (not a later refill). */
export function tlb_holds(vcpu: kvm_vcpu, e: tlb_entry): boolean {
  touch_range(vcpu.kvm.run, tlb_fp_key(vcpu, e.is_private), 'read', e.gfn, e.gfn + KVM_PAGES_PER_HPAGE(e.level));
  return vcpu.tlb.get(tlb_key(e.is_private, e.level, e.gfn)) === e;
}

/** A translation some vCPU caches. */
export interface cached_translation {
  readonly vcpu: kvm_vcpu;
  readonly entry: tlb_entry;
}

/** The translations vCPUs cache for [lo, hi), private or shared ones. */
export function tlb_entries_in(kvm: kvm, is_private: boolean, lo: gfn_t, hi: gfn_t): cached_translation[] {
  const out: cached_translation[] = [];
  for (const vcpu of kvm.vcpus) {
    touch_range(kvm.run, tlb_fp_key(vcpu, is_private), 'read', lo, hi);
    for (const entry of vcpu.tlb.values()) {
      if (entry.is_private === is_private && entry.gfn < hi && lo < entry.gfn + KVM_PAGES_PER_HPAGE(entry.level)) out.push({ vcpu, entry });
    }
  }
  return out;
}

/** How many translations `vcpu` caches (a read of all of them). */
export function tlb_size(vcpu: kvm_vcpu): number {
  vcpu.kvm.run.touch(vcpu.tlb_key.private.read);
  vcpu.kvm.run.touch(vcpu.tlb_key.shared.read);
  return vcpu.tlb.size;
}

// kvm_vcpu_flush_tlb_all()
export function kvm_vcpu_flush_tlb_all(vcpu: kvm_vcpu): void {
  vcpu.kvm.run.touch(vcpu.tlb_key.private.write);
  vcpu.kvm.run.touch(vcpu.tlb_key.shared.write);
  vcpu.tlb.clear();
}

// kvm_make_all_cpus_request() in virt/kvm/kvm_main.c: IPIs every vCPU and waits until
// each has left the guest. Leaving the guest flushes its TLB (for a TD, the TDX
// module flushes at the next entry after a TRACK; the model flushes at the exit).
export async function kvm_make_all_cpus_request(kvm: kvm, req: string): Promise<void> {
  await kvm.run.point({ kind: 'kvm_make_all_cpus_request', obj: req, footprint: kvm.tdx.td.all_vps_fp });
  for (const v of kvm.vcpus) {
    v.vp.in_guest = false;
    kvm.call.kvm_vcpu_flush_tlb_all(v);
  }
}

// tdx_vcpu_run() -> tdh_vp_enter() in arch/x86/kvm/vmx/tdx.c: enter the TD; a TLB
// epoch that moved since the vCPU last ran flushes its TLB.
export async function vcpu_enter_guest(vcpu: kvm_vcpu): Promise<void> {
  const td = vcpu.kvm.tdx.td;
  // kvm_vcpu_srcu_read_unlock() before entering the guest.
  if (vcpu.srcu_depth > 0) await kvm_vcpu_srcu_read_unlock(vcpu);
  await vcpu.kvm.run.point({ kind: 'tdh_vp_enter', obj: vcpu.name, footprint: vcpu.vp.fp });
  const vp = vcpu.vp;
  if (vp.epoch < td.epoch) vcpu.kvm.call.kvm_vcpu_flush_tlb_all(vcpu);
  vp.epoch = td.epoch;
  vp.in_guest = true;
}

/** A TD exit: the vCPU leaves the guest for KVM, which handles the exit under
 * kvm->srcu (vcpu_enter_guest()'s kvm_vcpu_srcu_read_lock() after the VM-exit). */
export async function tdx_vcpu_exit(vcpu: kvm_vcpu): Promise<void> {
  vcpu.vp.in_guest = false;
  if (vcpu.srcu_depth === 0) await kvm_vcpu_srcu_read_lock(vcpu);
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
  m.tp_vcpu_retry.trace({ thread: me, vcpu_id: vcpu.vcpu_id, gfn, reason, alone, progress: m.changed_since(since) });
  if (kvm.run.tracing) kvm.run.event(`${vcpu.name} retries GFN ${fmt_gfn(gfn)} (${reason}): ${m.changed_since(since) ? 'something changed since its last try' : alone ? 'alone, and nothing changed' : 'waits until something changes'}`);
  await kvm.run.point({
    kind: 'cond_resched',
    obj: `${vcpu.name} retry ${reason} ${fmt_gfn(gfn)}`,
    // What the wait reads: gen, and whether the other threads finished.
    get footprint(): Footprint[] {
      const fp: Footprint[] = [GEN.write];
      for (const t of kvm.run.threads) if (t.name !== me) fp.push({ key: exitKey(t.name), access: 'read' });
      return fp;
    },
    waitsOn: retry_waits_on(m, me, since),
  });
}

/** A retry's wait: until something changed since `since`, or `me` is alone
 * (returned: tsx's keepNames, see src/engine/run.ts). */
function retry_waits_on(m: kvm['model'], me: string, since: number): () => string[] | null {
  return () => {
    if (m.changed_since(since)) return null;
    const others = m.others(me);
    return others.length === 0 ? null : others;
  };
}
