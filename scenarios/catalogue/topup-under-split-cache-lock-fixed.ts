// The fixed twin of topup-under-split-cache-lock: v3 20/24 as posted allocates outside the spinlock and takes it only to enqueue; clean in every interleaving (2 preemptions).
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'topup-under-split-cache-lock-fixed',
  description: 'The fixed twin of topup-under-split-cache-lock: v3 20/24 as posted allocates outside the spinlock and takes it only to enqueue; clean in every interleaving (2 preemptions).',
  variant: 'v3-cross-boundary',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
