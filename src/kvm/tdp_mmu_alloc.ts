// Allocating and freeing TDP MMU page tables (arch/x86/kvm/mmu/tdp_mmu.c): from the
// vCPU's caches in the fault path, with GFP_KERNEL (mmu_lock dropped) for splits, and
// freed after an RCU grace period once unlinked.
import { GFP_KERNEL, kmalloc, kvm_mmu_memory_cache_alloc } from './kernel.ts';
import type { kvm } from './kvm.ts';
import type { gfn_t } from './levels.ts';
import { kvm_mmu_page, type kvm_mmu_page_role, type tdp_ptep_t } from './mmu_page.ts';
import type { tdp_iter } from './tdp_iter.ts';
import type { kvm_vcpu } from './vcpu.ts';

const PAGE_SIZE = 4096;

/** A new, unlinked table. Its id comes from the allocating thread's own sequence
 * (set-up's is plain numbers), so allocations by different threads commute. */
export function kvm_mmu_page_new(kvm: kvm): kvm_mmu_page {
  const thread = kvm.run.current?.name ?? '';
  const n = kvm.next_sp_id.get(thread) ?? 0;
  kvm.next_sp_id.set(thread, n + 1);
  return new kvm_mmu_page(thread === '' ? n : `${n}@${thread}`, kvm.run);
}

// tdp_mmu_alloc_sp() in arch/x86/kvm/mmu/tdp_mmu.c: from the vCPU's caches (under mmu_lock).
export async function tdp_mmu_alloc_sp(vcpu: kvm_vcpu): Promise<kvm_mmu_page> {
  await kvm_mmu_memory_cache_alloc(vcpu.arch.mmu_page_header_cache);
  await kvm_mmu_memory_cache_alloc(vcpu.arch.mmu_shadow_page_cache);
  return vcpu.kvm.call.kvm_mmu_page_new(vcpu.kvm);
}

// kvm_mmu_alloc_external_spt() in arch/x86/kvm/mmu/mmu_internal.h
export async function kvm_mmu_alloc_external_spt(vcpu: kvm_vcpu, sp: kvm_mmu_page): Promise<void> {
  await kvm_mmu_memory_cache_alloc(vcpu.arch.mmu_external_spt_cache);
  sp.external_spt = vcpu.kvm.host.alloc_pages(0);
}

// __tdp_mmu_alloc_sp_for_split() in arch/x86/kvm/mmu/tdp_mmu.c: may sleep.
export async function __tdp_mmu_alloc_sp_for_split(kvm: kvm, is_mirror: boolean): Promise<kvm_mmu_page | null> {
  const mem = kmalloc(kvm.k, (is_mirror ? 3 : 2) * PAGE_SIZE, GFP_KERNEL);
  if (mem === null || mem === undefined) return null;
  const sp = kvm.call.kvm_mmu_page_new(kvm);
  if (is_mirror) sp.external_spt = kvm.host.alloc_pages(0);
  return sp;
}

// tdp_mmu_init_sp() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_init_sp(sp: kvm_mmu_page, sptep: tdp_ptep_t | null, gfn: gfn_t, role: kvm_mmu_page_role): void {
  sp.role = role;
  sp.gfn = gfn;
  sp.ptep = sptep;
}

// tdp_mmu_init_child_sp() in arch/x86/kvm/mmu/tdp_mmu.c
export function tdp_mmu_init_child_sp(child_sp: kvm_mmu_page, iter: tdp_iter): void {
  const parent = iter.sptep.sp;
  tdp_mmu_init_sp(child_sp, iter.sptep, iter.gfn, { level: iter.level - 1, is_mirror: parent.role.is_mirror, invalid: false });
}

// tdp_mmu_free_sp() in arch/x86/kvm/mmu/tdp_mmu.c: the S-EPT page gives back its DPAMT reference.
export async function tdp_mmu_free_sp(kvm: kvm, sp: kvm_mmu_page): Promise<void> {
  if (sp.external_spt !== null && sp.external_spt_pamt) {
    sp.external_spt_pamt = false;
    await kvm.call.tdx_pamt_put(kvm, sp.external_spt, sp.gfn);
  }
}

// tdp_mmu_free_sp_rcu_callback() in arch/x86/kvm/mmu/tdp_mmu.c: runs in softirq.
export async function tdp_mmu_free_sp_rcu_callback(kvm: kvm, sp: kvm_mmu_page): Promise<void> {
  await kvm.call.tdp_mmu_free_sp(kvm, sp);
}
