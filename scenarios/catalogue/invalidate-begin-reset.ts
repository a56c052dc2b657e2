// The sibling of invalidate-range-latest: kvm_mmu_invalidate_begin() resets the range
// at every begin, so PUNCH_HOLE's begin, in progress with the conversion's, drops the
// conversion's GFNs and the fault on 0x40010 maps it after the zap.
import { overlapping_invalidations } from './_overlapping_invalidations.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(overlapping_invalidations, {
  name: 'invalidate-begin-reset',
  description: "A second invalidation's begin empties the range while the first is in progress: a fault on the converted GFN passes is_page_fault_stale() and maps it private after the conversion zapped it.",
  variant: 'invalidate-begin-reset',
  expect: 'invariant:private_attr',
  bounds: { strategy: 'dpor', preemptions: 3, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
