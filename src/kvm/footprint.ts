// Footprints the model's scheduling points declare. A step's effect is all the code
// up to the thread's next point, and the model's effects reach well beyond what a
// point names (a SEAMCALL step also writes the mirror SPTE, stats and the TLBs of
// kicked vCPUs; a lock step runs kvm_mmu_invalidate_begin()). The model does not
// record its accesses, so kvm_create_vm() marks the run untracked and dpor explores
// every schedule; these declarations only guide samplers (POS) and traces.
import type { Footprint } from '../engine/index.ts';

const KVM_MODEL: Footprint = { key: 'kvm', access: 'write' };

export function kvm_footprint(...specific: Footprint[]): Footprint[] {
  return [...specific, KVM_MODEL];
}
