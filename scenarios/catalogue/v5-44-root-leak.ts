// RFC v5 44/45 as posted: when a head or tail split fails (-ENOMEM from
// tdp_mmu_alloc_sp_for_split()), kvm_arch_gmem_convert() returns from inside the
// mirror-root loop and the root keeps the reference the loop took.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'v5-44-root-leak',
  description: 'A failed allocation for the boundary split returns from inside __for_each_tdp_mmu_root_yield_safe(): the mirror root keeps a reference.',
  variant: 'v5-44-root-leak',
  faults: { slab: 1 },
  expect: 'memory-leak',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
