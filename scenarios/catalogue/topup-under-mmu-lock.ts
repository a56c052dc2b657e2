// The split cache topped up (GFP_KERNEL) from the split itself, under write_lock(mmu_lock): sleeping in atomic context.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'topup-under-mmu-lock',
  description: 'The split cache topped up (GFP_KERNEL) from the split itself, under write_lock(mmu_lock): sleeping in atomic context.',
  variant: 'v5-44-fixed',
  knobs: { topup_under: 'mmu_lock' },
  expect: 'sleep-in-atomic',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
