// A hash of a VM's model state, for Program.stateHash (distinct terminal states in
// exploration stats): the S-EPT, the mirror and normal roots' leaves, attributes,
// the guest's view, invalidation and DPAMT. Cost follows what is mapped.
import { hashText } from '../../engine/index.ts';
import { tdp_mmu_leaves } from '../arch/x86/kvm/mmu/tdp_mmu.ts';
import type { kvm } from '../include/linux/kvm_host.ts';

export function kvm_state_hash(kvm: kvm): string {
  const td = kvm.tdx.td;
  const end = 2 ** 53;
  const parts: string[] = [];
  for (const e of td.leaves_in(0, end)) parts.push(`s${e.level}:${e.gfn}:${e.pfn}:${e.state}`);
  // The valid roots (the mirror root, then the normal one), however many are left.
  for (const root of kvm.arch.tdp_mmu_roots.filter((r) => !r.role.invalid)) {
    for (const l of tdp_mmu_leaves(root, 0, end)) parts.push(`${root.role.is_mirror ? 'm' : 'd'}${l.level}:${l.gfn}:${l.spte?.pfn ?? 'frozen'}`);
  }
  parts.push(JSON.stringify(kvm.mem_attr_array.entries()), JSON.stringify(kvm.guest.accepted.entries()), JSON.stringify(td.content.entries()));
  parts.push(`inv:${kvm.mmu_invalidate_in_progress}:${kvm.mmu_invalidate_seq}`, `pamt:${JSON.stringify(kvm.host.refcounts())}`);
  return hashText(parts.join('\n'));
}
