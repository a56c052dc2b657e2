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
import { type kvm, kvm_direct_root, kvm_mirror_root } from '../include/linux/kvm_host.ts';
import { zobrist_seq } from './zobrist.ts';

export function kvm_state_hash(kvm: kvm): string {
  const td = kvm.tdx.td;
  const mirror = kvm_mirror_root(kvm);
  const direct = kvm_direct_root(kvm);
  const h = new zobrist_seq();
  h.add(td.z_lo).add(td.z_hi);
  h.add(mirror.z_lo).add(mirror.z_hi).add(direct.z_lo).add(direct.z_hi);
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
  for (const root of [kvm_mirror_root(kvm), kvm_direct_root(kvm)]) {
    for (const l of tdp_mmu_leaves(root, 0, end)) parts.push(`${root.role.is_mirror ? 'm' : 'd'}${l.level}:${l.gfn}:${l.spte?.pfn ?? 'frozen'}`);
  }
  parts.push(JSON.stringify(kvm.mem_attr_array.entries()), JSON.stringify(kvm.guest.accepted.entries()), JSON.stringify(td.content.entries()));
  parts.push(`inv:${kvm.mmu_invalidate_in_progress}:${kvm.mmu_invalidate_seq}`, `pamt:${JSON.stringify(kvm.host.refcounts())}`);
  return hashText(parts.join('\n'));
}
