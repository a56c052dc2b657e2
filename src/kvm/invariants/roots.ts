// Root references are balanced: once every thread is done, each root holds as many
// references as when the invariant was installed.
import type { kvm } from '../include/linux/kvm_host.ts';
import { fmt_range, KVM_PAGES_PER_HPAGE } from '../arch/x86/include/asm/kvm_host.ts';
import type { kvm_mmu_page } from '../arch/x86/kvm/mmu/mmu_internal.ts';
import { tdp_mmu_root_refs } from '../arch/x86/kvm/mmu/tdp_mmu.ts';

export function install_roots_invariant(kvm: kvm): void {
  const baseline = new Map<kvm_mmu_page, number>();
  for (const root of kvm.arch.tdp_mmu_roots) baseline.set(root, tdp_mmu_root_refs(kvm, root));
  let checked = false;
  kvm.run.invariant('roots', () => {
    if (checked || !kvm.run.allDone()) return null;
    checked = true;
    for (const [root, refs] of baseline) {
      const now = tdp_mmu_root_refs(kvm, root);
      if (now !== refs) {
        const kind = root.role.is_mirror ? 'mirror' : 'direct';
        return `${kind} root ${root.name} holds ${now} references after every thread finished, ${refs} before: kvm_tdp_mmu_get_root()/kvm_tdp_mmu_put_root() unbalanced (root of GFNs ${fmt_range(root.gfn, root.gfn + KVM_PAGES_PER_HPAGE(root.role.level + 1))})`;
      }
    }
    return null;
  });
}
