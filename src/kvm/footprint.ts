// Footprints of the model's scheduling points, for partial-order reduction. A step's
// effect is all the code up to the thread's next point, and the model's effects
// reach well beyond what a point names (a SEAMCALL step also writes the mirror SPTE,
// stats and the TLBs of kicked vCPUs). Until the engine can learn what a step
// touched, every model point also writes one shared key, so model steps never
// commute with each other; the specific keys say what the point itself is about.
import type { Footprint } from '../engine/index.ts';

const KVM_MODEL: Footprint = { key: 'kvm', access: 'write' };

export function kvm_footprint(...specific: Footprint[]): Footprint[] {
  return [...specific, KVM_MODEL];
}
