// Two invalidations in progress at once: KVM_SET_MEMORY_ATTRIBUTES (private to shared
// at 0x40010) and PUNCH_HOLE (0x40100). kvm_mmu_invalidate_range_add() keeps only the
// latest range, so once the hole's range replaced the conversion's, a vCPU fault on
// 0x40010 that looked up its private PFN before the conversion began finds nothing in
// progress over its GFN and the sequence unchanged, and maps it after the zap.
import { overlapping_invalidations } from './_overlapping_invalidations.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(overlapping_invalidations, {
  name: 'invalidate-range-latest',
  description: "A second invalidation's range replaces the first's while both are in progress: a fault on the converted GFN passes is_page_fault_stale() and maps it private after the conversion zapped it.",
  variant: 'invalidate-range-latest',
  expect: 'invariant:private_attr',
  bounds: { strategy: 'dpor', preemptions: 3, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
