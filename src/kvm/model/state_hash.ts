// A hash of a VM's model state, for Program.stateHash (distinct terminal states in
// exploration stats): the S-EPT, the mirror and normal roots' leaves, attributes,
// the guest's view, invalidation and DPAMT.
//
// kvm_state_hash() reads hashes the model keeps up to date as it writes (Zobrist
// hashing, zobrist.ts: each table's leaves, the S-EPT's leaves, each interval map's
// runs), so it costs the same whatever is mapped. kvm_state_hash_walk() walks the
// model and hashes its text: the same states compare equal under both (the
// catalogue's distinct terminal states are counted both ways in a test).
import { hashText } from '../../engine/index.ts';
import { tdp_mmu_leaves } from '../arch/x86/kvm/mmu/tdp_mmu.ts';
import type { kvm } from '../include/linux/kvm_host.ts';
import { zobrist_seq } from './zobrist.ts';

export function kvm_state_hash(kvm: kvm): string {
  const td = kvm.tdx.td;
  const h = new zobrist_seq();
  h.add(td.z_lo).add(td.z_hi);
  // The valid roots' leaves, in order, as the walk lists them (each leaf's piece
  // says whether it is a mirror one). A root without leaves adds nothing to the
  // walk's text, so it adds nothing here (an empty table's hash is 0).
  const roots = kvm.arch.tdp_mmu_roots;
  for (let i = 0; i < roots.length; i++) {
    const root = roots[i]!;
    if (root.role.invalid || (root.z_lo === 0 && root.z_hi === 0)) continue;
    h.add(root.z_lo).add(root.z_hi);
  }
  h.add(0);
  for (const m of [kvm.mem_attr_array, kvm.guest.accepted, td.content]) h.add(m.z_lo).add(m.z_hi);
  h.add(kvm.mmu_invalidate_in_progress).add(kvm.mmu_invalidate_seq);
  const refcounts = kvm.host.refcounts();
  h.add(refcounts.length);
  for (const [region, n] of refcounts) h.add(region).add(n);
  return h.hex();
}

/** The state hash by walking the model (what kvm_state_hash() was): for tests that
 * check the two tell the same states apart. Cost follows what is mapped. */
export function kvm_state_hash_walk(kvm: kvm): string {
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
