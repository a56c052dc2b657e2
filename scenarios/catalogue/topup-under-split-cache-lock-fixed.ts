// The fixed twin of topup-under-split-cache-lock: v3 20/24 as posted allocates outside the spinlock and takes it only to enqueue; clean in every interleaving (2 preemptions).
//
// Its parameters keep to 2M leaves, the largest private leaf v3 maps (the variant's
// max_private_level). fastcheck once drew a 1G leaf converted across a 2M boundary
// ({leaf_level: 1G, start: 511, end: 513}) and found invariant:caches: v3 tops up its
// split cache for a head and a tail 2M split (8 pages), two short of the 1G-to-2M
// split that comes first. That is not a bug of v3, whose tdx_min_split_cache_sz()
// allows only 2M splits: the fixture had built a 1G leaf v3 never creates. The
// head/tail top-up of v5 counts the 1G block and is clean there (v5-44-fixed).
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'topup-under-split-cache-lock-fixed',
  description: 'The fixed twin of topup-under-split-cache-lock: v3 20/24 as posted allocates outside the spinlock and takes it only to enqueue; clean in every interleaving (2 preemptions).',
  variant: 'v3-cross-boundary',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
