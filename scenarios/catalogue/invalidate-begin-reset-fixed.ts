// The fixed twin of invalidate-begin-reset: kvm_mmu_invalidate_begin() resets the
// range only for the first invalidation in progress (upstream), so the hole's begin
// keeps the conversion's GFNs and the fault retries until the conversion ends.
import { overlapping_invalidations } from './_overlapping_invalidations.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(overlapping_invalidations, {
  name: 'invalidate-begin-reset-fixed',
  description: 'The fixed twin of invalidate-begin-reset: a begin resets the range only when no invalidation is in progress; no private leaf survives on a shared GFN in any interleaving (3 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 3, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
