// TDP MMU roots (arch/x86/kvm/mmu/tdp_mmu.c): the mirror root (KVM's copy of the
// S-EPT) and the normal root (shared memory), each refcounted; walkers take a
// reference on each root they visit.
import { tdp_mmu_init_sp } from './tdp_mmu_alloc.ts';
import { call_rcu, refcount_dec_and_test, refcount_inc_not_zero, refcount_read, refcount_set, refcount_t } from './kernel.ts';
import { ROOTS, type kvm } from './kvm.ts';
import type { kvm_mmu_page } from './mmu_page.ts';

// enum kvm_tdp_mmu_root_types in arch/x86/kvm/mmu/tdp_mmu.h
export const KVM_DIRECT_ROOTS = 1 << 0;
export const KVM_MIRROR_ROOTS = 1 << 1;
export const KVM_VALID_ROOTS = 1 << 2;
export const KVM_ALL_ROOTS = KVM_DIRECT_ROOTS | KVM_MIRROR_ROOTS;

// kvm_tdp_mmu_alloc_root() in arch/x86/kvm/mmu/tdp_mmu.c, at VM setup (no scheduling point).
export function kvm_tdp_mmu_alloc_root(kvm: kvm, mirror: boolean): kvm_mmu_page {
  const root = kvm.call.kvm_mmu_page_new(kvm);
  tdp_mmu_init_sp(root, null, 0, { level: kvm.arch.root_level, is_mirror: mirror, invalid: false });
  const count = new refcount_t(`${mirror ? 'mirror' : 'direct'}_root->tdp_mmu_root_count`);
  refcount_set(count, 1);
  root.tdp_mmu_root_count = count;
  kvm.run.touch(ROOTS.write);
  kvm.arch.tdp_mmu_roots.push(root);
  return root;
}

function root_count(root: kvm_mmu_page): refcount_t {
  return root.tdp_mmu_root_count as refcount_t;
}

/** Current references on a root (a recorded read of the count). */
export function tdp_mmu_root_refs(kvm: kvm, root: kvm_mmu_page): number {
  const count = root_count(root);
  if (kvm.run.recording) kvm.run.touch({ key: count.fp_write[0]!.key, access: 'read' });
  return refcount_read(count);
}

// kvm_tdp_mmu_get_root() in arch/x86/kvm/mmu/tdp_mmu.h
export async function kvm_tdp_mmu_get_root(root: kvm_mmu_page): Promise<boolean> {
  return refcount_inc_not_zero(root_count(root));
}

// kvm_tdp_mmu_put_root() in arch/x86/kvm/mmu/tdp_mmu.c
export async function kvm_tdp_mmu_put_root(kvm: kvm, root: kvm_mmu_page): Promise<void> {
  if (!(await refcount_dec_and_test(root_count(root)))) return;
  // The root is already invalid (kvm_tdp_mmu_invalidate_roots()); unlink it and free
  // it once readers that may still walk it are gone.
  const roots = kvm.arch.tdp_mmu_roots;
  kvm.run.touch(ROOTS.write);
  roots.splice(roots.indexOf(root), 1);
  call_rcu(root, () => kvm.call.tdp_mmu_free_sp_rcu_callback(kvm, root));
}

/** The root types a range filter selects: kvm_gfn_range_filter_to_root_types(). */
export function root_types_match(kvm: kvm, root: kvm_mmu_page, types: number): boolean {
  kvm.run.touch(ROOTS.read);
  if ((types & KVM_VALID_ROOTS) !== 0 && root.role.invalid) return false;
  return root.role.is_mirror ? (types & KVM_MIRROR_ROOTS) !== 0 : (types & KVM_DIRECT_ROOTS) !== 0;
}

// __for_each_tdp_mmu_root_yield_safe() / tdp_mmu_next_root() in arch/x86/kvm/mmu/tdp_mmu.c:
// yields each root of `types` with a reference held; the reference is dropped when
// the walk moves on or the caller breaks out.
export async function* for_each_tdp_mmu_root_yield_safe(kvm: kvm, types: number): AsyncGenerator<kvm_mmu_page, void, void> {
  kvm.run.touch(ROOTS.read);
  for (const root of [...kvm.arch.tdp_mmu_roots]) {
    if (!root_types_match(kvm, root, types)) continue;
    if (!(await kvm.call.kvm_tdp_mmu_get_root(root))) continue;
    try {
      yield root;
    } finally {
      await kvm.call.kvm_tdp_mmu_put_root(kvm, root);
    }
  }
}
