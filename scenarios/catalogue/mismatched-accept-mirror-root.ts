// The fixed twin of mismatched-accept-normal-root: the split runs on the mirror root.
import { mismatched_accept } from './_accept.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(mismatched_accept, {
  name: 'mismatched-accept-mirror-root',
  description: 'The fixed twin of mismatched-accept-normal-root: tdp_mmu_split_huge_pages_root() on the mirror root; both ACCEPTs complete in every interleaving (2 preemptions).',
  variant: 'mismatched-accept-mirror-root',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
