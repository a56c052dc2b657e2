// The fixed twin of topup-under-mmu-lock: topped up before write_lock(mmu_lock), under the pamt_cache_lock mutex; clean in every interleaving (2 preemptions).
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'topup-under-mmu-lock-fixed',
  description: 'The fixed twin of topup-under-mmu-lock: topped up before write_lock(mmu_lock), under the pamt_cache_lock mutex; clean in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
