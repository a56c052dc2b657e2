// v3's per-VM split cache topped up (GFP_KERNEL) while holding the spinlock prealloc_split_cache_lock: sleeping in atomic context.
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'topup-under-split-cache-lock',
  description: "v3's per-VM split cache topped up (GFP_KERNEL) while holding the spinlock prealloc_split_cache_lock: sleeping in atomic context.",
  variant: 'v3-cross-boundary',
  knobs: { topup_under: 'prealloc_split_cache_lock' },
  expect: 'sleep-in-atomic',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
