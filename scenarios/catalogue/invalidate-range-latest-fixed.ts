// The fixed twin of invalidate-range-latest: kvm_mmu_invalidate_range_add() widens the
// range in progress to cover both invalidations (upstream), so the fault retries until
// the conversion ends, then finds the GFN shared and exits to userspace.
import { overlapping_invalidations } from './_overlapping_invalidations.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(overlapping_invalidations, {
  name: 'invalidate-range-latest-fixed',
  description: 'The fixed twin of invalidate-range-latest: concurrent ranges are merged; no private leaf survives on a shared GFN in any interleaving (3 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 3, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
