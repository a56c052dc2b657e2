// The fixed twin of v5-44-root-leak: kvm_tdp_mmu_put_root() before returning the
// failed split from the mirror-root loop.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'v5-44-root-leak-fixed',
  description: 'The fixed twin of v5-44-root-leak: the root is put before the failed split returns; balanced whichever allocation fails, in every interleaving (2 preemptions).',
  variant: 'v5-44-root-put',
  faults: { slab: 1 },
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
