// The fixed twin of topup-short: topped up with tdx_min_split_cache_sz() per split, clean in every interleaving (2 preemptions).
import { boundary } from './_boundary.ts';
import { catalogue_scenario } from './_td.ts';

export default catalogue_scenario(boundary, {
  name: 'topup-short-fixed',
  description: 'The fixed twin of topup-short: topped up with tdx_min_split_cache_sz() per split, clean in every interleaving (2 preemptions).',
  variant: 'v5-44-fixed',
  expect: 'clean',
  bounds: { strategy: 'dpor', preemptions: 2, schedules: 20_000, maxSteps: 5_000, seed: 0 },
});
